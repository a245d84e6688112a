package dialecttest

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/snapshot"
)

// shadowTests are the subtests of the capabilities a shadow migration
// needs, which every herd dialect must have (TableChecksummer aside:
// SQLite cannot hash in SQL).
func (s *suite) shadowTests(t *testing.T) []namedTest {
	t.Helper()
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{"dialect.ChangeCapture", is[dialect.ChangeCapture](s.d)},
		{"dialect.WriteFreezer", is[dialect.WriteFreezer](s.d)},
		{"dialect.RowSyncer", is[dialect.RowSyncer](s.srv)},
		{"dialect.CaptureSealer", is[dialect.CaptureSealer](s.d)},
	} {
		if !c.ok {
			t.Errorf("%s: does not implement %s", s.d.Name(), c.name)
			return nil
		}
	}
	return []namedTest{
		{"ShadowCapture", s.testShadowCapture},
		{"ShadowSync", s.testShadowSync},
		{"ShadowFreeze", s.testShadowFreeze},
		{"ShadowFreezeTimeout", s.testShadowFreezeTimeout},
		{"ShadowSeal", s.testShadowSeal},
		{"ShadowChecksum", s.testShadowChecksum},
		{"ShadowGenerators", s.testShadowGenerators},
		{"ShadowSyncFidelity", s.testShadowSyncFidelity},
		{"ShadowSwapNames", s.testShadowSwapNames},
	}
}

func is[T any](v any) bool {
	_, ok := v.(T)
	return ok
}

// pupilsSchema is a tenant of two tables: one with a unique column, one
// with a composite key and a foreign key to the first.
var pupilsSchema = []string{
	"CREATE TABLE pupils (id INT NOT NULL PRIMARY KEY, email VARCHAR(60) NOT NULL, name VARCHAR(60) NULL)",
	"CREATE UNIQUE INDEX pupils_email ON pupils (email)",
	"CREATE TABLE marks (pupil_id INT NOT NULL, subject VARCHAR(20) NOT NULL, score INT NULL, " +
		"PRIMARY KEY (pupil_id, subject), FOREIGN KEY (pupil_id) REFERENCES pupils (id))",
}

// pupilsTenant makes a tenant with pupilsSchema and two pupils, and
// returns it with its tables as the Inspector describes them.
func (s *suite) pupilsTenant(t *testing.T) (string, *dialect.Database, []dialect.Table) {
	t.Helper()
	name, db := s.tenant(t)
	s.execAll(t, db, pupilsSchema...)
	s.execAll(t, db,
		"INSERT INTO pupils (id, email, name) VALUES (1, 'a@x', 'Asha'), (2, 'b@x', 'Bilal')",
		"INSERT INTO marks (pupil_id, subject, score) VALUES (1, 'math', 90), (2, 'art', 70)",
	)
	tables, err := s.d.(dialect.Inspector).Tables(t.Context(), db.DB, db)
	require.NoError(t, err)
	require.Len(t, tables, 2)
	return name, db, tables
}

// captured reads the capture table: table name and decoded key per row,
// in seq order.
func (s *suite) captured(t *testing.T, db *dialect.Database) [][2]any {
	t.Helper()
	rows, err := db.DB.QueryContext(t.Context(), "SELECT tbl, pk FROM "+dialect.Qualify(s.d, db, dialect.CaptureTable)+" ORDER BY seq")
	require.NoError(t, err)
	defer rows.Close()
	var out [][2]any
	for rows.Next() {
		var tbl, pk string
		require.NoError(t, rows.Scan(&tbl, &pk))
		var key []any
		require.NoError(t, json.Unmarshal([]byte(pk), &key), pk)
		out = append(out, [2]any{tbl, key})
	}
	require.NoError(t, rows.Err())
	return out
}

func (s *suite) testShadowCapture(t *testing.T) {
	ctx := t.Context()
	_, db, tables := s.pupilsTenant(t)
	capture := s.d.(dialect.ChangeCapture)
	require.NoError(t, capture.InstallCapture(ctx, db, tables))
	require.Error(t, capture.InstallCapture(ctx, db, tables), "a second install: the capture table exists")

	s.execAll(t, db,
		"INSERT INTO pupils (id, email) VALUES (3, 'c@x')",
		"UPDATE pupils SET name = 'Asha K' WHERE id = 1", // same key: the key once
		"UPDATE pupils SET id = 4 WHERE id = 3",          // the old key, then the new
		"DELETE FROM marks WHERE pupil_id = 2",
		"INSERT INTO marks (pupil_id, subject) VALUES (4, 'it''s')",
	)
	key := func(v ...any) []any { return v }
	// One statement's triggers fire in an order of the engine's.
	require.ElementsMatch(t, [][2]any{
		{"pupils", key(3.0)},
		{"pupils", key(1.0)},
		{"pupils", key(3.0)},
		{"pupils", key(4.0)},
		{"marks", key(2.0, "art")},
		{"marks", key(4.0, "it's")},
	}, s.captured(t, db))

	require.NoError(t, capture.RemoveCapture(ctx, db))
	require.False(t, s.tableExists(t, db, dialect.CaptureTable))
	s.execAll(t, db, "UPDATE pupils SET name = 'no trigger' WHERE id = 1") // fails if a trigger is left
	require.NoError(t, capture.RemoveCapture(ctx, db), "removing nothing")

	// A table without a primary key is refused, and nothing is made.
	s.execAll(t, db, "CREATE TABLE notes (body VARCHAR(20) NULL)")
	all, err := s.d.(dialect.Inspector).Tables(ctx, db.DB, db)
	require.NoError(t, err)
	err = capture.InstallCapture(ctx, db, all)
	require.Error(t, err)
	require.Contains(t, err.Error(), `"notes"`)
	require.False(t, s.tableExists(t, db, dialect.CaptureTable))
}

func (s *suite) testShadowSync(t *testing.T) {
	ctx := t.Context()
	name, db, tables := s.pupilsTenant(t)
	copyName, copyDB := s.takeSnapshot(t, name)
	s.execAll(t, db,
		"INSERT INTO pupils (id, email, name) VALUES (5, 'e@x', 'Esi')",
		"INSERT INTO marks (pupil_id, subject, score) VALUES (5, 'math', 55)",
		"UPDATE marks SET score = 91 WHERE pupil_id = 1",
		"DELETE FROM marks WHERE pupil_id = 2",
		"DELETE FROM pupils WHERE id = 2",
		// Pupil 1 gives up a@x, which pupil 5 takes: syncing pupil 5 alone
		// meets the copy's stale pupil 1, which must give way.
		"UPDATE pupils SET email = 'z@x' WHERE id = 1",
		"UPDATE pupils SET email = 'a@x' WHERE id = 5",
	)
	rs, err := s.srv.(dialect.RowSyncer).SyncRows(ctx, name, copyName)
	require.NoError(t, err)
	defer rs.Close()
	byName := map[string]dialect.Table{}
	for _, tb := range tables {
		byName[tb.Name] = tb
	}
	// Children before parents, and one key at a time: foreign keys are
	// not checked in the copy meanwhile.
	require.NoError(t, rs.Sync(ctx, byName["marks"], [][]any{{int64(5), "math"}, {int64(1), "math"}, {int64(2), "art"}}))
	require.NoError(t, rs.Sync(ctx, byName["pupils"], [][]any{{int64(5)}}))
	require.NoError(t, rs.Sync(ctx, byName["pupils"], [][]any{{int64(1)}, {int64(2)}, {"5"}}), "a key again, as text")
	require.Equal(t, s.checksums(t, db), s.checksums(t, copyDB))
	require.NoError(t, rs.Sync(ctx, byName["pupils"], nil), "no keys")
}

// writeAsync inserts a pupil through db in a goroutine.
func (s *suite) writeAsync(ctx context.Context, db *dialect.Database, id int) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := db.DB.ExecContext(ctx, s.bind("INSERT INTO pupils (id, email) VALUES (?, 'w@x')"), id)
		done <- err
	}()
	return done
}

// frozenWithWriter freezes the pupils tenant db from a connection of its
// own, c, and starts a write of pupil 9 through app, which it checks is
// held back by the freeze.
func (s *suite) frozenWithWriter(t *testing.T, db, app *dialect.Database) (c *sql.Conn, release func() error, write <-chan error) {
	t.Helper()
	ctx := t.Context()
	c = conn(t, db)
	require.NoError(t, s.d.(dialect.SessionGuard).GuardSession(ctx, c, patience))
	release, err := s.d.(dialect.WriteFreezer).FreezeWrites(ctx, c, db, []string{"pupils", "marks"})
	require.NoError(t, err)
	write = s.writeAsync(ctx, app, 9)
	select {
	case err := <-write:
		t.Fatalf("a write went through the freeze (err %v)", err)
	case <-time.After(held):
	}
	return c, release, write
}

func (s *suite) testShadowFreeze(t *testing.T) {
	ctx := t.Context()
	name, db, _ := s.pupilsTenant(t)
	app := s.open(t, name) // the application's pool
	c := conn(t, db)
	require.NoError(t, s.d.(dialect.SessionGuard).GuardSession(ctx, c, patience))
	release, err := s.d.(dialect.WriteFreezer).FreezeWrites(ctx, c, db, []string{"pupils", "marks"})
	require.NoError(t, err)

	write := s.writeAsync(ctx, app, 9)
	var n int
	readCtx, cancel := context.WithTimeout(ctx, patience)
	defer cancel()
	require.NoError(t, app.DB.QueryRowContext(readCtx, "SELECT COUNT(*) FROM pupils").Scan(&n), "a read while frozen")
	require.Equal(t, 2, n)
	select {
	case err := <-write:
		t.Fatalf("a write went through the freeze (err %v)", err)
	case <-time.After(held):
	}
	require.NoError(t, release())
	select {
	case err := <-write:
		require.NoError(t, err, "the write after the freeze")
	case <-time.After(patience):
		t.Fatal("the write did not go on after the freeze")
	}
}

// A database sealed under its freeze refuses, once the freeze ends, the
// write that waited for it and every later one, each with the seal's
// message; reads go on; removing the capture unseals it.
func (s *suite) testShadowSeal(t *testing.T) {
	ctx := t.Context()
	name, db, tables := s.pupilsTenant(t)
	require.NoError(t, s.d.(dialect.ChangeCapture).InstallCapture(ctx, db, tables))
	app := s.open(t, name)
	c, release, write := s.frozenWithWriter(t, db, app)
	reason := dialect.SealedMessage + " from a to b: resolve it again"
	sealer := s.d.(dialect.CaptureSealer)
	sealed, err := sealer.Sealed(ctx, db)
	require.NoError(t, err)
	require.False(t, sealed)
	require.NoError(t, sealer.SealCapture(ctx, c, db, reason))
	require.NoError(t, release())
	select {
	case err := <-write:
		require.ErrorContains(t, err, reason, "the write that waited for the freeze")
	case <-time.After(patience):
		t.Fatal("the write did not end after the freeze")
	}
	_, err = app.DB.ExecContext(ctx, "UPDATE marks SET score = 1 WHERE pupil_id = 1")
	require.ErrorContains(t, err, dialect.SealedMessage, "a write after the freeze")
	_, err = app.DB.ExecContext(ctx, "DELETE FROM marks WHERE pupil_id = 2")
	require.ErrorContains(t, err, dialect.SealedMessage)
	var n int
	require.NoError(t, app.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM pupils").Scan(&n), "a read of a sealed database")
	require.Equal(t, 2, n, "nothing written")
	sealed, err = sealer.Sealed(ctx, db)
	require.NoError(t, err)
	require.True(t, sealed)

	require.NoError(t, s.d.(dialect.ChangeCapture).RemoveCapture(ctx, db))
	sealed, err = sealer.Sealed(ctx, db)
	require.NoError(t, err)
	require.False(t, sealed, "unsealed")
	_, err = app.DB.ExecContext(ctx, s.bind("INSERT INTO pupils (id, email) VALUES (?, 'u@x')"), 10)
	require.NoError(t, err, "unsealed with the capture")
}

func (s *suite) testShadowFreezeTimeout(t *testing.T) {
	ctx := t.Context()
	name, db, _ := s.pupilsTenant(t)
	app := s.open(t, name)
	tx, err := app.DB.BeginTx(ctx, nil)
	require.NoError(t, err)
	defer tx.Rollback() //nolint:errcheck // the test's end
	_, err = tx.ExecContext(ctx, "UPDATE pupils SET name = 'open' WHERE id = 1")
	require.NoError(t, err)

	c := conn(t, db)
	guard := s.d.(dialect.SessionGuard)
	require.NoError(t, guard.GuardSession(ctx, c, 200*time.Millisecond))
	release, err := s.d.(dialect.WriteFreezer).FreezeWrites(ctx, c, db, []string{"pupils", "marks"})
	if err == nil {
		_ = release()
	}
	require.Error(t, err, "a freeze behind an open write transaction")
	require.True(t, guard.LockTimedOut(err), "a lock timeout: %v", err)
}

func (s *suite) testShadowChecksum(t *testing.T) {
	cs, ok := s.d.(dialect.TableChecksummer)
	if !ok {
		t.Skipf("%s hashes no rows in SQL; herd checksums them in Go (snapshot.TableChecksum)", s.d.Name())
	}
	ctx := t.Context()
	name, db, tables := s.pupilsTenant(t)
	_, copyDB := s.takeSnapshot(t, name)
	for _, tb := range tables {
		n, a, err := cs.TableChecksum(ctx, db, tb)
		require.NoError(t, err)
		require.Equal(t, int64(2), n)
		m, b, err := cs.TableChecksum(ctx, copyDB, tb)
		require.NoError(t, err)
		require.Equal(t, []any{n, a}, []any{m, b}, "table %s: a copy sums the same", tb.Name)
	}
	pupils := tables[1]
	require.Equal(t, "pupils", pupils.Name)
	_, before, err := cs.TableChecksum(ctx, copyDB, pupils)
	require.NoError(t, err)
	for _, change := range []string{
		"UPDATE pupils SET name = 'Bilal ' WHERE id = 2",
		"UPDATE pupils SET name = NULL WHERE id = 2",
		"UPDATE pupils SET name = '' WHERE id = 2",
	} {
		s.execAll(t, copyDB, change)
		_, after, err := cs.TableChecksum(ctx, copyDB, pupils)
		require.NoError(t, err)
		require.NotEqual(t, before, after, change)
		before = after
	}
}

// eventsTable is a table whose keys the engine generates, per engine.
var eventsTable = map[string]string{
	"sqlite":   "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, what VARCHAR(40) NULL)",
	"postgres": "CREATE TABLE events (id SERIAL PRIMARY KEY, what VARCHAR(40) NULL)",
	"mysql":    "CREATE TABLE events (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, what VARCHAR(40) NULL)",
}

// testShadowGenerators syncs rows with generated keys, the last of them
// deleted, then the generators: the next key is the same on both sides.
func (s *suite) testShadowGenerators(t *testing.T) {
	ctx := t.Context()
	name, db := s.tenant(t)
	ddl, ok := eventsTable[s.d.Name()]
	require.True(t, ok, "no events table for %s", s.d.Name())
	s.execAll(t, db, ddl, "INSERT INTO events (what) VALUES ('a'), ('b')")
	copyName, copyDB := s.takeSnapshot(t, name)
	s.execAll(t, db, "INSERT INTO events (what) VALUES ('c'), ('d'), ('e')", "DELETE FROM events WHERE what = 'e'")
	tables, err := s.d.(dialect.Inspector).Tables(ctx, db.DB, db)
	require.NoError(t, err)
	rs, err := s.srv.(dialect.RowSyncer).SyncRows(ctx, name, copyName)
	require.NoError(t, err)
	defer rs.Close()
	require.NoError(t, rs.Sync(ctx, tables[0], [][]any{{int64(3)}, {int64(4)}, {int64(5)}}))
	require.NoError(t, rs.SyncGenerators(ctx))
	next := func(db *dialect.Database) int64 {
		t.Helper()
		s.execAll(t, db, "INSERT INTO events (what) VALUES ('next')")
		var id int64
		require.NoError(t, db.DB.QueryRowContext(ctx, "SELECT id FROM events WHERE what = 'next'").Scan(&id))
		return id
	}
	require.Equal(t, int64(6), next(db))
	require.Equal(t, int64(6), next(copyDB), "the copy hands out the tenant's next key, not one it handed out and deleted")
}

// testShadowSyncFidelity syncs every row of every table of the school
// tenant (every column type the suite knows, per engine) into its copy
// again: each row is deleted and copied back through the engine's path,
// and the copy must still equal the tenant.
func (s *suite) testShadowSyncFidelity(t *testing.T) {
	ctx := t.Context()
	name, db := s.schoolTenant(t)
	copyName, copyDB := s.takeSnapshot(t, name)
	tables, err := s.d.(dialect.Inspector).Tables(ctx, db.DB, db)
	require.NoError(t, err)
	rs, err := s.srv.(dialect.RowSyncer).SyncRows(ctx, name, copyName)
	require.NoError(t, err)
	defer rs.Close()
	synced := 0
	for _, tb := range tables {
		if len(tb.PrimaryKey) == 0 {
			continue
		}
		keys := s.allKeys(t, db, tb)
		require.NoError(t, rs.Sync(ctx, tb, keys), "table %s", tb.Name)
		synced += len(keys)
	}
	require.Positive(t, synced)
	require.NoError(t, rs.SyncGenerators(ctx))
	require.NoError(t, snapshot.Verify(ctx, s.d, db, copyDB))
}

// allKeys reads the primary key of every row of tb, as a catch-up would
// pass them: text and integers.
func (s *suite) allKeys(t *testing.T, db *dialect.Database, tb dialect.Table) [][]any {
	t.Helper()
	cols := make([]string, len(tb.PrimaryKey))
	for i, c := range tb.PrimaryKey {
		cols[i] = s.q(c)
	}
	rows, err := db.DB.QueryContext(t.Context(), "SELECT "+strings.Join(cols, ", ")+" FROM "+dialect.Qualify(s.d, db, tb.Name))
	require.NoError(t, err)
	defer rows.Close()
	var keys [][]any
	for rows.Next() {
		key := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range key {
			ptrs[i] = &key[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		for i, v := range key {
			if b, ok := v.([]byte); ok {
				key[i] = string(b)
			}
		}
		keys = append(keys, key)
	}
	require.NoError(t, rows.Err())
	return keys
}

// A server whose tenants swap names renames, under a write freeze, the
// tenant to a name of its own and its copy to the tenant's name: the
// application's pool, opened by the tenant's name before, reads and
// writes the copy once the freeze ends, as does the write that waited
// for the freeze; the database left stays sealed under its new name, and
// each database's capture goes on writing to its own capture table. Servers
// that do not swap names say so.
func (s *suite) testShadowSwapNames(t *testing.T) {
	ctx := t.Context()
	swapper, ok := s.srv.(dialect.NameSwapper)
	if !ok || !swapper.SwapsNames() {
		t.Skipf("%s (%s): tenants do not swap names", s.d.Name(), s.cfg.Tenancy)
	}
	name, db, tables := s.pupilsTenant(t)
	copyName, cp, _ := s.pupilsTenant(t)
	s.execAll(t, cp, "INSERT INTO pupils (id, email, name) VALUES (3, 'c@x', 'the copy')")
	capture := s.d.(dialect.ChangeCapture)
	require.NoError(t, capture.InstallCapture(ctx, db, tables))
	require.NoError(t, capture.InstallCapture(ctx, cp, tables))
	old := name + "_o"
	s.cleanupDrop(t, old)
	app := s.open(t, name) // the application, by the tenant's name
	c, release, write := s.frozenWithWriter(t, db, app)
	reason := dialect.SealedMessage + " from " + name + " to " + name + ": resolve it again"
	require.NoError(t, s.d.(dialect.CaptureSealer).SealCapture(ctx, c, db, reason))
	require.NoError(t, swapper.SwapNames(ctx, c, name, copyName, old))
	require.NoError(t, release())
	select {
	case err := <-write:
		// PostgreSQL looks a name up again when a lock it waited for was
		// granted after the catalog changed: the write lands in the copy.
		require.NoError(t, err, "the write that waited for the freeze")
	case <-time.After(patience):
		t.Fatal("the write did not end after the freeze")
	}

	var who string
	require.NoError(t, app.DB.QueryRowContext(ctx, "SELECT name FROM pupils WHERE id = 3").Scan(&who), "the pool reads the copy")
	require.Equal(t, "the copy", who)
	_, err := app.DB.ExecContext(ctx, s.bind("INSERT INTO pupils (id, email) VALUES (?, 'n@x')"), 10)
	require.NoError(t, err, "the pool writes the copy")

	renamed := s.open(t, name)
	require.Equal(t, [][2]any{{"pupils", []any{9.0}}, {"pupils", []any{10.0}}}, s.captured(t, renamed),
		"the copy's capture, under the tenant's name, has both writes")
	left := s.open(t, old)
	require.Empty(t, s.captured(t, left), "the sealed database recorded nothing")
	_, err = left.DB.ExecContext(ctx, "UPDATE pupils SET name = 'x' WHERE id = 1")
	require.ErrorContains(t, err, dialect.SealedMessage, "the database left is still sealed under its new name")
	exists, err := s.srv.Exists(ctx, copyName)
	require.NoError(t, err)
	require.False(t, exists, "the copy's own name is gone")
	require.Error(t, swapper.SwapNames(ctx, conn(t, renamed), name, old, old), "renaming to a name that exists fails")
}
