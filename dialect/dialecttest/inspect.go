package dialecttest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/internal/herdtest"
)

// testInspect applies the engine's every-object fixture to two tenants and
// checks that the Inspector describes both alike, with no tenant's name in
// the description, the fixture's view and its check
// constraints included, and that a new view shows.
func (s *suite) testInspect(t *testing.T) {
	ctx := t.Context()
	ins := s.d.(dialect.Inspector)
	describe := func(db *dialect.Database) ([]dialect.Table, []dialect.View) {
		t.Helper()
		tables, err := ins.Tables(ctx, db.DB, db)
		require.NoError(t, err)
		views, err := ins.Views(ctx, db.DB, db)
		require.NoError(t, err)
		return tables, views
	}
	fixture := "testdata/every_object." + s.d.Name() + ".sql"
	a, adb := s.tenant(t)
	s.apply(t, adb, fixtures, fixture)
	_, bdb := s.tenant(t)
	s.apply(t, bdb, fixtures, fixture)

	at, av := describe(adb)
	bt, bv := describe(bdb)
	assert.Equal(t, at, bt, "tables")
	assert.Equal(t, av, bv, "views")
	var totals *dialect.View
	for i := range av {
		assert.NotContains(t, av[i].Definition, a, "view %s names its database", av[i].Name)
		if av[i].Name == "pupil_totals" {
			totals = &av[i]
		}
	}
	require.NotNil(t, totals, "the view pupil_totals is described: %v", av)
	assert.Contains(t, totals.Definition, "pupils")
	checks := 0
	for _, tb := range at {
		checks += len(tb.Checks)
	}
	require.Positive(t, checks, "the fixture's check constraints are described")

	s.execAll(t, bdb, "CREATE VIEW "+s.q("pupil_names")+" AS SELECT id, name FROM "+s.q("pupils"))
	_, bv = describe(bdb)
	require.Len(t, bv, len(av)+1, "a new view is described")
}

// testHasTables checks the Inspector's cheap test for tables: a new
// tenant has none, nor one whose only table's name begins with the prefix
// left out; another table, or a view alone, is one.
func (s *suite) testHasTables(t *testing.T) {
	ctx := t.Context()
	ins := s.d.(dialect.Inspector)
	has := func(db *dialect.Database, except string) bool {
		t.Helper()
		ok, err := ins.HasTables(ctx, db.DB, db, except)
		require.NoError(t, err)
		return ok
	}
	_, db := s.tenant(t)
	assert.False(t, has(db, "herd_"), "a new tenant")
	s.execAll(t, db, "CREATE TABLE "+s.q("herd_ledger")+" (id INTEGER PRIMARY KEY)")
	assert.False(t, has(db, "herd_"), "only a table left out")
	assert.True(t, has(db, "other_"), "a table not left out")

	_, vdb := s.tenant(t)
	s.execAll(t, vdb, "CREATE VIEW "+s.q("answer")+" AS SELECT 42 AS n")
	assert.True(t, has(vdb, "herd_"), "a view alone")
}

// testCopySchema copies the schema of the engine's every-object fixture
// and checks that the copy describes itself as the tenant does, with no
// rows, and that a copy onto an existing name fails.
func (s *suite) testCopySchema(t *testing.T) {
	ctx := t.Context()
	copier, ok := s.srv.(dialect.SchemaCopier)
	require.True(t, ok, "%T does not implement dialect.SchemaCopier", s.srv)
	ins := s.d.(dialect.Inspector)
	tenant, db := s.tenant(t)
	s.apply(t, db, fixtures, "testdata/every_object."+s.d.Name()+".sql")
	dst := s.snapshotName(t, tenant)
	s.cleanupDrop(t, dst)
	require.NoError(t, copier.CopySchema(ctx, tenant, dst))
	cdb := s.open(t, dst)

	want, err := ins.Tables(ctx, db.DB, db)
	require.NoError(t, err)
	got, err := ins.Tables(ctx, cdb.DB, cdb)
	require.NoError(t, err)
	assert.Equal(t, want, got, "tables")
	wantViews, err := ins.Views(ctx, db.DB, db)
	require.NoError(t, err)
	gotViews, err := ins.Views(ctx, cdb.DB, cdb)
	require.NoError(t, err)
	assert.Equal(t, wantViews, gotViews, "views")
	var n int
	require.NoError(t, cdb.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+s.q("pupils")).Scan(&n))
	assert.Zero(t, n, "no rows are copied")
	require.NoError(t, db.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+s.q("pupils")).Scan(&n))
	assert.Positive(t, n, "the tenant keeps its rows")

	require.Error(t, copier.CopySchema(ctx, tenant, dst), "the copy's name is taken")
	exists, err := s.srv.Exists(ctx, dst)
	require.NoError(t, err)
	assert.True(t, exists, "a failed copy leaves the existing database alone")
}

// testDatabases lists the databases that start with a prefix: those
// created with it, sorted, and none other.
func (s *suite) testDatabases(t *testing.T) {
	ctx := t.Context()
	lister, ok := s.srv.(dialect.Lister)
	require.True(t, ok, "%T does not implement dialect.Lister", s.srv)
	prefix := herdtest.Name(t, "herd_l_")
	for _, name := range []string{prefix + "_b", prefix + "_a"} {
		s.cleanupDrop(t, name)
		require.NoError(t, s.srv.Create(ctx, name))
	}
	got, err := lister.Databases(ctx, prefix)
	require.NoError(t, err)
	assert.Equal(t, []string{prefix + "_a", prefix + "_b"}, got)
	got, err = lister.Databases(ctx, prefix+"_c")
	require.NoError(t, err)
	assert.Empty(t, got)
}
