package dialecttest

import (
	"context"
	"database/sql"
	"io/fs"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/dialect"
)

// The control schema's files and tables.
const (
	controlUp   = "system/v1.0.0/001_create_control.up.sql"
	controlDown = "system/v1.0.0/001_create_control.down.sql"
)

var controlTables = []string{"herd_tenants", "database_schema_versions", "database_migration_history", "herd_audit_log"}

// apply runs script on db statement by statement, as herd's executor
// does.
func (s *suite) apply(t *testing.T, db *dialect.Database, fsys fs.FS, file string) {
	t.Helper()
	script, err := fs.ReadFile(fsys, file)
	require.NoError(t, err)
	stmts, err := s.d.Split(string(script))
	require.NoError(t, err, file)
	require.NotEmpty(t, stmts, file)
	for _, st := range stmts {
		_, err := db.DB.ExecContext(t.Context(), statement(st.SQL))
		require.NoError(t, err, "%s:%d: %s", file, st.Line, st.SQL)
	}
}

func (s *suite) testControlSchema(t *testing.T) {
	ctx := t.Context()
	fsys := s.d.ControlSchema()
	require.NotNil(t, fsys)

	// Every up file has its down file, in the layout of a migration source.
	var ups, downs []string
	require.NoError(t, fs.WalkDir(fsys, ".", func(p string, e fs.DirEntry, err error) error {
		switch {
		case err != nil || e.IsDir():
			return err
		case strings.HasSuffix(p, ".up.sql"):
			ups = append(ups, strings.TrimSuffix(p, ".up.sql"))
		case strings.HasSuffix(p, ".down.sql"):
			downs = append(downs, strings.TrimSuffix(p, ".down.sql"))
		}
		require.Equal(t, "system", strings.Split(p, "/")[0], "control schema file %s", p)
		return nil
	}))
	require.Contains(t, ups, strings.TrimSuffix(controlUp, ".up.sql"))
	require.ElementsMatch(t, ups, downs)

	// The up file builds the tables in the opened database.
	_, db := s.tenant(t)
	s.apply(t, db, fsys, controlUp)
	for _, table := range controlTables {
		require.True(t, s.tableExists(t, db, table), table)
	}
	s.controlRoundTrip(t, db)

	// The down file removes all of it, so that up applies again.
	s.apply(t, db, fsys, controlDown)
	for _, table := range controlTables {
		require.False(t, s.tableExists(t, db, table), table)
	}
	s.apply(t, db, fsys, controlUp)
	var n int
	require.NoError(t, db.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM database_schema_versions").Scan(&n))
	require.Zero(t, n)
}

// controlRoundTrip writes and reads a row of each control table, checking
// times, defaults, keys and the allowed values of enumerated columns.
func (s *suite) controlRoundTrip(t *testing.T, db *dialect.Database) {
	ctx := t.Context()
	exec := func(query string, args ...any) error {
		_, err := db.DB.ExecContext(ctx, s.bind(query), args...)
		return err
	}
	readTime := func(query string, args ...any) time.Time {
		t.Helper()
		var at time.Time
		require.NoError(t, db.DB.QueryRowContext(ctx, s.bind(query), args...).Scan(&at))
		return at
	}
	requireTime := func(got time.Time, what string) {
		t.Helper()
		require.True(t, ts.Equal(got), "%s: want %v, got %v", what, ts, got)
	}

	// herd_tenants
	tenant := "INSERT INTO herd_tenants (code, name, tier, server, database_name, tags, features, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
	require.NoError(t, exec(tenant, "abc", "ABC Trust", "premium", "main", "school_erp_trust_abc", `["beta"]`, `[]`, ts))
	require.Error(t, exec(tenant, "abd", "ABD Trust", "basic", "main", "school_erp_trust_abc", `[]`, `[]`, ts),
		"UNIQUE (server, database_name)")
	require.Error(t, exec(tenant, "abc", "Again", "basic", "other", "other_db", `[]`, `[]`, ts), "code is the primary key")
	requireTime(readTime("SELECT created_at FROM herd_tenants WHERE code = ?", "abc"), "herd_tenants.created_at")

	// database_schema_versions: the system row has a sentinel identifier.
	version := "INSERT INTO database_schema_versions (database_type, database_identifier, created_at, updated_at) VALUES (?, ?, ?, ?)"
	require.NoError(t, exec(version, "system", "@system", ts, ts))
	require.NoError(t, exec(version, "tenant", "abc", ts, ts))
	require.Error(t, exec(version, "system", "@system", ts, ts), "UNIQUE (database_type, database_identifier)")
	require.Error(t, exec(version, "bogus", "x", ts, ts), "database_type is system or tenant")
	var (
		current, status string
		target          sql.NullString
		started         sql.NullTime
	)
	require.NoError(t, db.DB.QueryRowContext(ctx, s.bind("SELECT current_version, migration_status, target_version, migration_started_at "+
		"FROM database_schema_versions WHERE database_type = ? AND database_identifier = ?"), "system", "@system").
		Scan(&current, &status, &target, &started))
	require.Equal(t, "", current)
	require.Equal(t, "pending", status)
	require.False(t, target.Valid)
	require.False(t, started.Valid)
	require.NoError(t, exec("UPDATE database_schema_versions SET migration_status = ?, migration_started_at = ? WHERE database_identifier = ?",
		"running", ts, "abc"))
	require.Error(t, exec("UPDATE database_schema_versions SET migration_status = ? WHERE database_identifier = ?", "paused", "abc"),
		"migration_status is one of pending, running, completed, failed")
	requireTime(readTime("SELECT migration_started_at FROM database_schema_versions WHERE database_identifier = ?", "abc"),
		"database_schema_versions.migration_started_at")
	requireTime(readTime("SELECT updated_at FROM database_schema_versions WHERE database_identifier = ?", "@system"),
		"database_schema_versions.updated_at")

	// database_migration_history
	history := "INSERT INTO database_migration_history (database_type, database_identifier, migration_name, migration_version, " +
		"migration_type, direction, executed_at, execution_time_ms, status, error_message, checksum) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	require.NoError(t, exec(history, "tenant", "abc", "v1.0.0/001_create_students", "1.0.0", "schema", "up", ts, 12, "success", nil, "c1"))
	require.NoError(t, exec(history, "tenant", "abc", "v1.0.0/001_create_students", "1.0.0", "schema", "down", ts, 3, "rolled_back", nil, "c1"))
	require.Error(t, exec(history, "tenant", "abc", "x", "1.0.0", "magic", "up", ts, 1, "success", nil, "c"), "migration_type")
	require.Error(t, exec(history, "tenant", "abc", "x", "1.0.0", "schema", "sideways", ts, 1, "success", nil, "c"), "direction")
	require.Error(t, exec(history, "tenant", "abc", "x", "1.0.0", "schema", "up", ts, 1, "maybe", nil, "c"), "status")
	var ids []int64
	rows, err := db.DB.QueryContext(ctx, "SELECT id FROM database_migration_history ORDER BY id")
	require.NoError(t, err)
	for rows.Next() {
		var id int64
		require.NoError(t, rows.Scan(&id))
		ids = append(ids, id)
	}
	require.NoError(t, rows.Err())
	require.Len(t, ids, 2)
	require.Less(t, ids[0], ids[1], "ids are generated")
	requireTime(readTime("SELECT executed_at FROM database_migration_history WHERE id = ?", ids[0]), "database_migration_history.executed_at")

	// herd_audit_log
	require.NoError(t, exec("INSERT INTO herd_audit_log (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
		ts, "operator", "tenant.add", "abc", "{}"))
	requireTime(readTime("SELECT at FROM herd_audit_log WHERE subject = ?", "abc"), "herd_audit_log.at")
}

func (s *suite) testControl(t *testing.T) {
	cfg := s.cfg
	if _, ok := urlDSN(cfg.DSN); !ok {
		// scheme:PATH: the tenants' folder cannot be the control file too.
		scheme, _, _ := strings.Cut(cfg.DSN, ":")
		cfg = s.withDSN("control", scheme+":"+path.Join(t.TempDir(), "herd", "control.db"))
	}
	srv, err := s.d.OpenServer(t.Context(), cfg)
	require.NoError(t, err)
	defer srv.Close()
	db, err := srv.Control(t.Context())
	require.NoError(t, err)
	defer db.Close()
	require.Equal(t, "", db.Schema, "the control database uses the engine's default schema")
	require.NotEmpty(t, db.Name)
	ctx, cancel := context.WithTimeout(t.Context(), patience)
	defer cancel()
	require.NoError(t, db.DB.PingContext(ctx))

	// A rollout's runners use the control database at once: its pool
	// keeps the connections a burst opened, where closing them would make
	// the next burst pay for new sessions (on a server, a TLS handshake
	// and a backend each).
	const burst = 4
	for range 3 {
		held := make(chan *sql.Conn, burst)
		for range burst {
			go func() {
				conn, err := db.DB.Conn(ctx)
				if err != nil {
					t.Error(err)
				}
				held <- conn
			}()
		}
		conns := make([]*sql.Conn, 0, burst) // all held at once
		for range burst {
			if conn := <-held; conn != nil {
				conns = append(conns, conn)
			}
		}
		for _, conn := range conns {
			require.NoError(t, conn.Close())
		}
	}
	stats := db.DB.Stats()
	require.Zero(t, stats.MaxIdleClosed, "the control pool closed connections it had opened: %+v", stats)
}
