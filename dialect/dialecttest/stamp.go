package dialecttest

import (
	"io/fs"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/dialect"
)

// stampTests are the tests of dialect.SchemaStamper, for a dialect that
// has it.
func (s *suite) stampTests() []namedTest {
	if _, ok := s.d.(dialect.SchemaStamper); !ok {
		return nil
	}
	return []namedTest{{"SchemaStamp", s.testSchemaStamp}}
}

// testSchemaStamp checks the schema stamp of the every-object fixture:
// it is the same when read again and after rows are written, each of the
// engine's schema changes (testdata/stamp_changes.<engine>.sql) changes
// it, a change rolled back leaves it as it was, and a transaction reads
// its own change.
func (s *suite) testSchemaStamp(t *testing.T) {
	ctx := t.Context()
	st := s.d.(dialect.SchemaStamper)
	_, db := s.tenant(t)
	s.apply(t, db, fixtures, "testdata/every_object."+s.d.Name()+".sql")
	stamp := func() string {
		t.Helper()
		v, err := st.SchemaStamp(ctx, db.DB, db)
		require.NoError(t, err)
		require.NotEmpty(t, v)
		require.LessOrEqual(t, len(v), 64)
		return v
	}
	first := stamp()
	assert.Equal(t, first, stamp(), "read again")
	s.execAll(t, db, "INSERT INTO "+s.q("audit_log")+" (what) VALUES ('a row, not a change of schema')")
	assert.Equal(t, first, stamp(), "after a row was written")

	file := "testdata/stamp_changes." + s.d.Name() + ".sql"
	script, err := fs.ReadFile(fixtures, file)
	require.NoError(t, err)
	stmts, err := s.d.Split(string(script))
	require.NoError(t, err)
	before := first
	for _, stmt := range stmts {
		s.execAll(t, db, stmt.SQL)
		after := stamp()
		assert.NotEqual(t, before, after, "%s:%d: %s left the stamp as it was", file, stmt.Line, stmt.SQL)
		before = after
	}

	if !dialect.HasTransactionalDDL(s.d) {
		return
	}
	tx, err := db.DB.BeginTx(ctx, nil)
	require.NoError(t, err)
	_, err = tx.ExecContext(ctx, "CREATE TABLE "+s.q("undone")+" (id INTEGER PRIMARY KEY)")
	require.NoError(t, err)
	inTx, err := st.SchemaStamp(ctx, tx, db)
	require.NoError(t, err)
	assert.NotEqual(t, before, inTx, "a transaction reads its own change")
	require.NoError(t, tx.Rollback())
	assert.Equal(t, before, stamp(), "a change rolled back leaves the stamp as it was")
}
