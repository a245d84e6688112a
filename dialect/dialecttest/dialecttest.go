package dialecttest

import (
	"context"
	"database/sql"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/internal/herdtest"
)

// sentinel is the password of DSNs that must never show it.
const sentinel = "s3cr3t-sentinel"

// ts is the timestamp the suite round-trips: microseconds (the finest
// precision every engine keeps) in a zone that is not UTC.
var ts = time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.FixedZone("herd", 5*3600+1800))

// suite is what every subtest shares: the dialect under test and a server
// opened on the configuration Run was given.
type suite struct {
	d   dialect.Dialect
	cfg dialect.ServerConfig
	srv dialect.Server
}

// Run runs the dialect suite for d against the server cfg names, which
// must be reachable. It fails the test on the first broken expectation of
// each subtest.
func Run(t *testing.T, d dialect.Dialect, cfg dialect.ServerConfig) {
	t.Helper()
	// herd finds a server's dialect by the name its DSN's scheme gives.
	require.Equal(t, d.Name(), config.Engine(cfg.DSN), "the dialect answers to the engine its DSN names")
	srv, err := d.OpenServer(t.Context(), cfg)
	require.NoError(t, err, "open server")
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	s := &suite{d: d, cfg: cfg, srv: srv}

	tests := []namedTest{
		{"Quote", s.testQuote},
		{"Lifecycle", s.testLifecycle},
		{"CreateExistingFails", s.testCreateExisting},
		{"Names", s.testNames},
		{"Scope", s.testScope},
		{"Ledger", s.testLedger},
		{"LockExclusive", s.testLockExclusive},
		{"LockIndependent", s.testLockIndependent},
		{"LockContext", s.testLockContext},
		{"TransactionalDDL", s.testTransactionalDDL},
		{"SessionGuard", s.testSessionGuard},
		{"TableSizes", s.testTableSizes},
		{"Analyze", s.testAnalyze},
		{"Inspect", s.testInspect},
		{"HasTables", s.testHasTables},
		{"CopySchema", s.testCopySchema},
		{"Databases", s.testDatabases},
		{"Split", s.testSplit},
		{"ControlSchema", s.testControlSchema},
		{"Control", s.testControl},
		{"Unreachable", s.testUnreachable},
		{"BadCredentials", s.testBadCredentials},
		{"MalformedDSN", s.testMalformedDSN},
	}
	tests = append(tests, s.snapshotTests(t)...)
	tests = append(tests, s.shadowTests(t)...)
	tests = append(tests, s.stampTests()...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.test(t)
		})
	}
}

// tenant creates a tenant with a unique name, opens it, and drops it when
// the test ends.
func (s *suite) tenant(t *testing.T) (string, *dialect.Database) {
	t.Helper()
	name := herdtest.Name(t, "herd_t_")
	s.cleanupDrop(t, name)
	require.NoError(t, s.srv.Create(t.Context(), name), "create %s", name)
	return name, s.open(t, name)
}

// open opens the existing tenant name, closing it when the test ends.
func (s *suite) open(t *testing.T, name string) *dialect.Database {
	t.Helper()
	db, err := s.srv.Open(t.Context(), name)
	require.NoError(t, err, "open %s", name)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// cleanupDrop drops name when the test ends, after everything registered
// later (such as closing its pools) has run.
func (s *suite) cleanupDrop(t *testing.T, name string) {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.srv.Drop(ctx, name); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
}

// conn pins one connection of db, closed when the test ends.
func conn(t *testing.T, db *dialect.Database) *sql.Conn {
	t.Helper()
	c, err := db.DB.Conn(t.Context())
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func (s *suite) q(name string) string { return s.d.QuoteIdent(name) }

func (s *suite) bind(query string) string { return dialect.Bind(s.d, query) }

func (s *suite) tableExists(t *testing.T, db *dialect.Database, table string) bool {
	t.Helper()
	ok, err := s.d.TableExists(t.Context(), db.DB, db, table)
	require.NoError(t, err)
	return ok
}

// urlDSN returns the DSN parsed when it is a URL (scheme://…), the form of
// server engines; the other form is scheme:PATH.
func urlDSN(dsn string) (*url.URL, bool) {
	if !strings.Contains(dsn, "://") {
		return nil, false
	}
	u, err := url.Parse(dsn)
	return u, err == nil
}

// withDSN returns the suite's configuration under another name and DSN.
func (s *suite) withDSN(name, dsn string) dialect.ServerConfig {
	return dialect.ServerConfig{Name: name, DSN: dsn, Tenancy: s.cfg.Tenancy}
}

func (s *suite) testQuote(t *testing.T) {
	_, db := s.tenant(t)
	ctx := t.Context()
	table := "herd quote \"probe\" `t`"
	cols := []string{"select", "MiXed \"q\" `b` col"}
	_, err := db.DB.ExecContext(ctx, "CREATE TABLE "+s.q(table)+" ("+s.q(cols[0])+" INT, "+s.q(cols[1])+" VARCHAR(50))")
	require.NoError(t, err)
	_, err = db.DB.ExecContext(ctx, "INSERT INTO "+s.q(table)+" ("+s.q(cols[0])+", "+s.q(cols[1])+") VALUES ("+
		s.d.Placeholder(1)+", "+s.d.Placeholder(2)+")", 7, `it's "quoted"`)
	require.NoError(t, err)

	rows, err := db.DB.QueryContext(ctx, "SELECT "+s.q(cols[0])+", "+s.q(cols[1])+" FROM "+s.q(table)+
		" WHERE "+s.q(cols[0])+" = "+s.d.Placeholder(1)+" AND "+s.q(cols[1])+" <> "+s.d.Placeholder(2), 7, "other")
	require.NoError(t, err)
	defer rows.Close()
	got, err := rows.Columns()
	require.NoError(t, err)
	require.Equal(t, cols, got)
	require.True(t, rows.Next())
	var n int
	var v string
	require.NoError(t, rows.Scan(&n, &v))
	require.Equal(t, 7, n)
	require.Equal(t, `it's "quoted"`, v)
	require.False(t, rows.Next())
	require.NoError(t, rows.Err())
}

func (s *suite) testLifecycle(t *testing.T) {
	ctx := t.Context()
	name := herdtest.Name(t, "herd_t_")
	s.cleanupDrop(t, name)

	ok, err := s.srv.Exists(ctx, name)
	require.NoError(t, err)
	require.False(t, ok, "exists before create")
	_, err = s.srv.Open(ctx, name)
	require.Error(t, err, "open before create")
	require.Contains(t, err.Error(), name)
	require.Contains(t, err.Error(), "does not exist")

	require.NoError(t, s.srv.Create(ctx, name))
	ok, err = s.srv.Exists(ctx, name)
	require.NoError(t, err)
	require.True(t, ok, "exists after create")

	db, err := s.srv.Open(ctx, name)
	require.NoError(t, err)
	require.Contains(t, db.Name, name)
	require.NoError(t, db.DB.PingContext(ctx))
	var one int
	require.NoError(t, db.DB.QueryRowContext(ctx, "SELECT 1").Scan(&one))
	require.NoError(t, db.Close())

	require.NoError(t, s.srv.Drop(ctx, name))
	ok, err = s.srv.Exists(ctx, name)
	require.NoError(t, err)
	require.False(t, ok, "exists after drop")
	require.NoError(t, s.srv.Drop(ctx, name), "drop of a missing name is a no-op")
}

func (s *suite) testCreateExisting(t *testing.T) {
	name, _ := s.tenant(t)
	err := s.srv.Create(t.Context(), name)
	require.Error(t, err, "create of an existing name")
	require.Contains(t, err.Error(), name)
	require.True(t, strings.HasPrefix(err.Error(), s.d.Name()+": "), err.Error())
}

func (s *suite) testNames(t *testing.T) {
	ctx := t.Context()
	max := s.srv.MaxNameLength()
	require.Greater(t, max, 0)
	for _, name := range []string{
		"",
		strings.Repeat("a", max+1),
		"Upper",
		"dash-name",
		"with space",
		"semi;colon",
		"../escape",
		`quo"te`,
		"ünïcode",
	} {
		require.Error(t, s.srv.Create(ctx, name), "create %q", name)
		_, err := s.srv.Exists(ctx, name)
		require.Error(t, err, "exists %q", name)
		_, err = s.srv.Open(ctx, name)
		require.Error(t, err, "open %q", name)
		require.Error(t, s.srv.Drop(ctx, name), "drop %q", name)
	}

	// The longest name is accepted, and is not truncated.
	long := herdtest.Name(t, "herd_t_")
	long += strings.Repeat("0", max-len(long))
	s.cleanupDrop(t, long)
	require.NoError(t, s.srv.Create(ctx, long))
	ok, err := s.srv.Exists(ctx, long)
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = s.srv.Exists(ctx, long[:max-1])
	require.NoError(t, err)
	require.False(t, ok)
}

// testScope checks that an opened database resolves unqualified names
// inside its tenant.
func (s *suite) testScope(t *testing.T) {
	ctx := t.Context()
	_, a := s.tenant(t)
	_, b := s.tenant(t)
	_, err := a.DB.ExecContext(ctx, "CREATE TABLE herd_scope_probe (id INT)")
	require.NoError(t, err)
	require.True(t, s.tableExists(t, a, "herd_scope_probe"))
	require.False(t, s.tableExists(t, b, "herd_scope_probe"))
	_, err = b.DB.ExecContext(ctx, "SELECT id FROM herd_scope_probe")
	require.Error(t, err, "a table of one tenant is visible from another")
}

func (s *suite) testLedger(t *testing.T) {
	ctx := t.Context()
	_, a := s.tenant(t)
	const table = "herd_schema_migrations"
	require.False(t, s.tableExists(t, a, table))
	ledger := dialect.Qualify(s.d, a, table)
	for i := range 2 {
		_, err := a.DB.ExecContext(ctx, s.d.CreateLedger(ledger))
		require.NoError(t, err, "create ledger, time %d", i+1)
	}
	require.True(t, s.tableExists(t, a, table))

	insert := s.bind("INSERT INTO " + ledger +
		" (migration_id, version, kind, checksum, state, direction, applied_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
	_, err := a.DB.ExecContext(ctx, insert, "v1.0.0/001_create_students", "1.0.0", "schema",
		strings.Repeat("ab", 32), "applied", "up", ts)
	require.NoError(t, err)
	_, err = a.DB.ExecContext(ctx, insert, "v1.0.0/001_create_students", "1.0.0", "schema",
		strings.Repeat("ab", 32), "dirty", "up", ts)
	require.Error(t, err, "migration_id is the primary key")

	var (
		version, state, direction string
		total, done, started      int
		errText                   sql.NullString
		appliedAt                 time.Time
		executionMS               int64
	)
	err = a.DB.QueryRowContext(ctx, s.bind("SELECT version, state, direction, statements_total, statements_done, "+
		"statement_started, error, applied_at, execution_ms FROM "+ledger+" WHERE migration_id = ?"),
		"v1.0.0/001_create_students").Scan(&version, &state, &direction, &total, &done, &started, &errText, &appliedAt, &executionMS)
	require.NoError(t, err)
	require.Equal(t, []any{"1.0.0", "applied", "up", 0, 0, 0, false, int64(0)},
		[]any{version, state, direction, total, done, started, errText.Valid, executionMS})
	require.True(t, ts.Equal(appliedAt), "applied_at: want %v, got %v", ts, appliedAt)

	// Where tenants share a namespace (MySQL databases, PostgreSQL schemas),
	// the qualified name puts the ledger in the tenant even from a
	// connection scoped to another one.
	_, b := s.tenant(t)
	if a.Schema == "" || a.Schema == b.Schema {
		return
	}
	const other = "herd_ledger_elsewhere"
	_, err = b.DB.ExecContext(ctx, s.d.CreateLedger(dialect.Qualify(s.d, a, other)))
	require.NoError(t, err)
	require.True(t, s.tableExists(t, a, other))
	require.False(t, s.tableExists(t, b, other))
	var n int
	require.NoError(t, a.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+other).Scan(&n))
}
