package dialecttest

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/dialect"
)

func (s *suite) testTransactionalDDL(t *testing.T) {
	ctx := t.Context()
	_, a := s.tenant(t)
	tx, err := a.DB.BeginTx(ctx, nil)
	require.NoError(t, err)
	_, err = tx.ExecContext(ctx, "CREATE TABLE herd_tx_probe (id INT)")
	require.NoError(t, err)
	_ = tx.Rollback() // after an implicit commit (MySQL) there is nothing to roll back
	exists := s.tableExists(t, a, "herd_tx_probe")
	require.Equal(t, dialect.HasTransactionalDDL(s.d), !exists,
		"TransactionalDDL is %v but the rolled-back table exists: %v", dialect.HasTransactionalDDL(s.d), exists)
}

// A statement that waits for another session's lock gives up at the
// guard's bound, LockTimedOut says so (and not of another error), and,
// where the engine tells, LockWait names the wait while it lasts.
func (s *suite) testSessionGuard(t *testing.T) {
	g, ok := s.d.(dialect.SessionGuard)
	if !ok {
		t.Skipf("%s has no SessionGuard", s.d.Name())
	}
	ctx := t.Context()
	_, a := s.tenant(t)
	_, err := a.DB.ExecContext(ctx, "CREATE TABLE herd_guard_probe (id INT PRIMARY KEY)")
	require.NoError(t, err)

	// The holder writes a row and keeps its transaction open.
	holder := conn(t, a)
	tx, err := holder.BeginTx(ctx, nil)
	require.NoError(t, err)
	defer tx.Rollback() //nolint:errcheck // the test's end
	_, err = tx.ExecContext(ctx, "INSERT INTO herd_guard_probe (id) VALUES (1)")
	require.NoError(t, err)

	c := conn(t, a)
	require.NoError(t, g.GuardSession(ctx, c, 500*time.Millisecond))
	var one int
	require.NoError(t, c.QueryRowContext(ctx, "SELECT 1").Scan(&one), "conn usable after GuardSession")

	waits, _ := s.d.(dialect.LockWaits)
	var session int64
	if waits != nil {
		session, err = waits.SessionID(ctx, c)
		require.NoError(t, err)
	}
	seen := make(chan string, 1)
	go func() {
		// Ask while the statement below waits.
		time.Sleep(200 * time.Millisecond)
		desc := ""
		if waits != nil {
			desc, _ = waits.LockWait(ctx, a.DB, session)
		}
		seen <- desc
	}()
	start := time.Now()
	_, err = c.ExecContext(ctx, "ALTER TABLE herd_guard_probe ADD COLUMN note INT")
	took := time.Since(start)
	require.Error(t, err, "the table is locked by the holder")
	require.True(t, g.LockTimedOut(err), "a lock timeout: %v", err)
	require.Less(t, took, 10*time.Second, "gave up at the bound, not the engine's default")
	desc := <-seen
	if waits != nil {
		require.NotEmpty(t, desc, "the wait is named while it lasts")
		t.Logf("%s: %s", s.d.Name(), desc)
	}

	_, err = c.ExecContext(ctx, "SELECT * FROM herd_no_such_table")
	require.Error(t, err)
	require.False(t, g.LockTimedOut(err), "another error is not a lock timeout")
}

// splitProbes are scripts that only the engine's own family splits into
// the wanted statements: each family would cut another's differently.
var splitProbes = map[string]struct {
	script string
	want   []string // a fragment of each statement, in order
}{
	"postgres": {
		script: "CREATE TABLE herd_split_probe (id INT);\n" +
			"CREATE FUNCTION herd_split_fn() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n" +
			"SELECT herd_split_fn();\n",
		want: []string{"CREATE TABLE", "$$ SELECT 1; $$", "SELECT herd_split_fn()"},
	},
	"mysql": {
		script: "CREATE TABLE herd_split_probe (id INT, note VARCHAR(20));\n" +
			"# a hash comment; with a semicolon\n" +
			"INSERT INTO herd_split_probe VALUES (1, 'it\\'s; fine');\n",
		want: []string{"CREATE TABLE", `'it\'s; fine'`},
	},
	"sqlite": {
		script: "CREATE TABLE herd_split_probe (id INTEGER, note TEXT);\n" +
			"CREATE TRIGGER herd_split_trg AFTER INSERT ON herd_split_probe BEGIN\n" +
			"  UPDATE herd_split_probe SET note = 'x;y' WHERE id = NEW.id;\n" +
			"END;\n" +
			"INSERT INTO herd_split_probe (id, note) VALUES (1, 'back\\');\n",
		want: []string{"CREATE TABLE", "SET note = 'x;y'", `'back\'`},
	},
}

func (s *suite) testSplit(t *testing.T) {
	probe, ok := splitProbes[s.d.Name()]
	if !ok {
		t.Fatalf("no split probe for dialect %q", s.d.Name())
	}
	stmts, err := s.d.Split(probe.script)
	require.NoError(t, err)
	require.Len(t, stmts, len(probe.want), "statements: %q", stmts)
	for i, st := range stmts {
		require.Contains(t, st.SQL, probe.want[i], "statement %d", i+1)
	}
	require.Equal(t, 1, stmts[0].Line)
	for i := 1; i < len(stmts); i++ {
		require.Greater(t, stmts[i].Line, stmts[i-1].Line, "line of statement %d", i+1)
	}
	// Tokens reads each statement by the same rules: its first word is
	// the statement's.
	for i, st := range stmts {
		toks, err := s.d.Tokens(st.SQL)
		require.NoError(t, err, "tokens of statement %d", i+1)
		require.NotEmpty(t, toks, "tokens of statement %d", i+1)
		require.Equal(t, strings.ToUpper(strings.Fields(st.SQL)[0]), toks[0].Word, "first word of statement %d", i+1)
	}

	// The statements are what the engine runs.
	_, a := s.tenant(t)
	for _, st := range stmts {
		_, err := a.DB.ExecContext(t.Context(), statement(st.SQL))
		require.NoError(t, err, "line %d: %s", st.Line, st.SQL)
	}
}

// statement trims a split statement for one round trip.
func statement(sql string) string {
	return strings.TrimSuffix(strings.TrimSpace(sql), ";")
}
