package dialecttest

import (
	"strings"
	"testing"

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

func (s *suite) testSessionGuard(t *testing.T) {
	g, ok := s.d.(dialect.SessionGuard)
	if !ok {
		t.Skipf("%s has no SessionGuard", s.d.Name())
	}
	_, a := s.tenant(t)
	c := conn(t, a)
	require.NoError(t, g.GuardSession(t.Context(), c))
	var one int
	require.NoError(t, c.QueryRowContext(t.Context(), "SELECT 1").Scan(&one), "conn usable after GuardSession")
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
