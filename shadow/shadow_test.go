package shadow_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/internal/problem"
	"github.com/herdhq/herd/shadow"
	"github.com/herdhq/herd/snapshot"
)

// seeded is how many pupils a test tenant starts with.
const seeded = 2000

// patience bounds every wait that should end; never a timing assertion.
const patience = 30 * time.Second

// held is how long a write must stay blocked by a freeze.
const held = 300 * time.Millisecond

// eventsTable is a table whose keys the engine generates.
var eventsTable = map[string]string{
	"sqlite":   "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, what VARCHAR(40) NULL)",
	"postgres": "CREATE TABLE events (id SERIAL PRIMARY KEY, what VARCHAR(40) NULL)",
	"mysql":    "CREATE TABLE events (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, what VARCHAR(40) NULL)",
}

// bundle is what a test of one engine shares.
type bundle struct {
	ctx    context.Context
	d      dialect.Dialect
	srv    dialect.Server
	tenant string
	db     *dialect.Database // the application's pool on the tenant
	rows   int               // the largest pupil id seeded
}

// setup makes a tenant of pupils, marks and events, with herd's ledger, seeded
// with rows, and removes it and any shadow of it when the test ends.
func setup(t *testing.T, e herdtest.Engine, extra ...string) *bundle {
	t.Helper()
	d, srv := e.Server(t)
	b := &bundle{ctx: t.Context(), d: d, srv: srv, tenant: herdtest.Name(t, "herd_sh_"), rows: seeded}
	require.NoError(t, srv.Create(b.ctx, b.tenant))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := shadow.Remove(ctx, srv, d, b.tenant); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		if err := srv.Drop(ctx, b.tenant); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	db, err := srv.Open(b.ctx, b.tenant)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	b.db = db
	b.exec(t,
		"CREATE TABLE pupils (id INT NOT NULL PRIMARY KEY, email VARCHAR(60) NOT NULL, name VARCHAR(60) NULL, score INT NULL)",
		"CREATE UNIQUE INDEX pupils_email ON pupils (email)",
		"CREATE TABLE marks (pupil_id INT NOT NULL, subject VARCHAR(20) NOT NULL, score INT NULL, "+
			"PRIMARY KEY (pupil_id, subject), FOREIGN KEY (pupil_id) REFERENCES pupils (id))",
		eventsTable[d.Name()],
		"CREATE TABLE attendance (day DATE NOT NULL, pupil_id INT NOT NULL, present INT NOT NULL, PRIMARY KEY (day, pupil_id))",
		d.CreateLedger(dialect.Qualify(d, db, "herd_schema_migrations")),
	)
	_, err = db.DB.ExecContext(b.ctx, b.bind("INSERT INTO herd_schema_migrations (migration_id, version, kind, checksum, state, direction, applied_at) "+
		"VALUES (?, ?, ?, ?, ?, ?, ?)"), "v1.0.0/001_pupils", "1.0.0", "schema", strings.Repeat("ab", 32), "applied", "up", time.Now().UTC())
	require.NoError(t, err)
	for start := 1; start <= seeded; start += 500 {
		var pupils, marks []string
		for id := start; id < start+500 && id <= seeded; id++ {
			pupils = append(pupils, fmt.Sprintf("(%d, 'p%d@x', 'Pupil %d', %d)", id, id, id, id%100))
			marks = append(marks, fmt.Sprintf("(%d, 'math', %d)", id, id%90))
		}
		b.exec(t, "INSERT INTO pupils (id, email, name, score) VALUES "+strings.Join(pupils, ", "),
			"INSERT INTO marks (pupil_id, subject, score) VALUES "+strings.Join(marks, ", "))
	}
	b.exec(t, extra...)
	return b
}

func (b *bundle) bind(q string) string { return dialect.Bind(b.d, q) }

func (b *bundle) exec(t *testing.T, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		_, err := b.db.DB.ExecContext(b.ctx, q)
		require.NoError(t, err, q)
	}
}

// prepare prepares the tenant's shadow, abandoned when the test ends if
// the test has not.
func (b *bundle) prepare(t *testing.T) *shadow.Shadow {
	t.Helper()
	sh, err := shadow.Prepare(b.ctx, b.srv, b.d, b.tenant, &shadow.Options{Batch: 300})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sh.Close() })
	return sh
}

func (b *bundle) captureExists(t *testing.T) bool {
	t.Helper()
	ok, err := b.d.TableExists(b.ctx, b.db.DB, b.db, dialect.CaptureTable)
	require.NoError(t, err)
	return ok
}

// writer changes the tenant through the application's pool until it is
// stopped: inserts, updates (a key and unique values too) and deletes,
// one after another.
type writer struct {
	b     *bundle
	stop  chan struct{}
	done  chan struct{}
	mu    sync.Mutex
	ops   int
	err   error
	next  int            // the next id to insert
	live  []int          // pupils the writer inserted, which no mark references
	email map[int]string // their emails
}

func startWriter(b *bundle) *writer {
	w := &writer{b: b, stop: make(chan struct{}), done: make(chan struct{}), next: b.rows + 1, email: map[int]string{}}
	go w.run()
	return w
}

func (w *writer) run() {
	defer close(w.done)
	for i := 0; ; i++ {
		select {
		case <-w.stop:
			return
		default:
		}
		if err := w.step(i); err != nil {
			w.mu.Lock()
			w.err = fmt.Errorf("write %d: %w", i, err)
			w.mu.Unlock()
			return
		}
		w.mu.Lock()
		w.ops++
		w.mu.Unlock()
	}
}

func (w *writer) exec(q string, args ...any) error {
	_, err := w.b.db.DB.ExecContext(context.Background(), w.b.bind(q), args...)
	return err
}

// step makes the i-th change.
func (w *writer) step(i int) error {
	seededID := 1 + (i*7919)%seeded
	switch i % 12 {
	case 10, 11: // a key of a date and a number
		n := i / 12
		day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n%365).Format(time.DateOnly)
		if i%12 == 10 {
			return w.exec(fmt.Sprintf("INSERT INTO attendance (day, pupil_id, present) VALUES ('%s', %d, 1)", day, 1+n/365))
		}
		if n%3 == 0 {
			return w.exec(fmt.Sprintf("DELETE FROM attendance WHERE day = '%s' AND pupil_id = %d", day, 1+n/365))
		}
		return w.exec(fmt.Sprintf("UPDATE attendance SET present = 0 WHERE day = '%s' AND pupil_id = %d", day, 1+n/365))
	case 8:
		return w.exec("INSERT INTO events (what) VALUES (?)", fmt.Sprintf("e%d", i))
	case 9: // the one before, or now and then the last key handed out
		gone := i - 11
		if i%30 == 9 {
			gone = i - 1
		}
		return w.exec("DELETE FROM events WHERE what = ?", fmt.Sprintf("e%d", gone))
	case 0, 1:
		id := w.next
		w.next++
		w.live = append(w.live, id)
		w.email[id] = fmt.Sprintf("w%d@x", id)
		return w.exec("INSERT INTO pupils (id, email, name) VALUES (?, ?, ?)", id, w.email[id], "new")
	case 2:
		return w.exec("UPDATE pupils SET name = ?, score = ? WHERE id = ?", fmt.Sprintf("renamed %d", i), i%100, seededID)
	case 3:
		return w.exec("UPDATE marks SET score = ? WHERE pupil_id = ? AND subject = 'math'", i%90, seededID)
	case 4:
		return w.exec("INSERT INTO marks (pupil_id, subject, score) VALUES (?, ?, ?)", seededID, fmt.Sprintf("s%d", i), 1)
	case 5: // a new key for a pupil of the writer's
		if len(w.live) == 0 {
			return nil
		}
		old := w.live[0]
		id := old + 1_000_000
		w.live = append(w.live[1:], id)
		w.email[id] = w.email[old]
		delete(w.email, old)
		return w.exec("UPDATE pupils SET id = ? WHERE id = ?", id, old)
	case 6: // one pupil hands its email on to another
		if len(w.live) < 2 {
			return nil
		}
		a, c := w.live[len(w.live)-1], w.live[len(w.live)-2]
		if err := w.exec("UPDATE pupils SET email = ? WHERE id = ?", fmt.Sprintf("t%d@x", i), a); err != nil {
			return err
		}
		w.email[c], w.email[a] = w.email[a], fmt.Sprintf("t%d@x", i)
		return w.exec("UPDATE pupils SET email = ? WHERE id = ?", w.email[c], c)
	default:
		if len(w.live) < 3 {
			return nil
		}
		id := w.live[1]
		w.live = append(w.live[:1], w.live[2:]...)
		delete(w.email, id)
		return w.exec("DELETE FROM pupils WHERE id = ?", id)
	}
}

// waitOps waits until the writer has made n more changes.
func (w *writer) waitOps(t *testing.T, n int) {
	t.Helper()
	w.mu.Lock()
	want := w.ops + n
	w.mu.Unlock()
	deadline := time.Now().Add(patience)
	for time.Now().Before(deadline) {
		w.mu.Lock()
		ops, err := w.ops, w.err
		w.mu.Unlock()
		require.NoError(t, err)
		if ops >= want {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("the writer made fewer than %d changes", n)
}

func (w *writer) halt(t *testing.T) int {
	t.Helper()
	close(w.stop)
	<-w.done
	require.NoError(t, w.err, "every write of the application succeeded")
	return w.ops
}

// TestShadowOnline copies a tenant while it is written to, catches up,
// freezes it with the writer still at work, catches up the rest, and
// verifies that the shadow equals the tenant.
func TestShadowOnline(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e)
		w := startWriter(b)
		w.waitOps(t, 20)
		sh := b.prepare(t)
		w.waitOps(t, 200) // changes after the copy, to catch up
		require.True(t, b.captureExists(t))

		rounds := 0
		for rounds < 50 {
			remaining, err := sh.CatchUp(b.ctx)
			require.NoError(t, err)
			rounds++
			if remaining < 100 {
				break
			}
		}
		release, err := sh.Freeze(b.ctx, patience)
		require.NoError(t, err)
		defer release() //nolint:errcheck // released below; again harmlessly if the test fails first
		for {
			remaining, err := sh.CatchUp(b.ctx)
			require.NoError(t, err)
			if remaining == 0 {
				break
			}
		}
		require.NoError(t, sh.Verify(b.ctx), "the shadow equals the frozen tenant")
		// Independently, in Go, with herd's own tables too.
		err = snapshot.Verify(b.ctx, b.d, b.db, sh.Database())
		var diff *snapshot.DiffError
		require.ErrorAs(t, err, &diff, "only the capture table and the shadow's mark differ")
		require.Len(t, diff.Differences, 2, diff.Error())
		require.ElementsMatch(t, []string{dialect.CaptureTable, shadow.MarkerTable},
			[]string{diff.Differences[0].Table, diff.Differences[1].Table})
		// The shadow's generators are past every key the tenant has.
		var maxID int64
		require.NoError(t, b.db.DB.QueryRowContext(b.ctx, "SELECT COALESCE(MAX(id), 0) FROM events").Scan(&maxID))
		require.Positive(t, maxID)
		_, err = sh.Database().DB.ExecContext(b.ctx, "INSERT INTO events (what) VALUES ('probe')")
		require.NoError(t, err, "an insert into the shadow takes a new key")
		var probe int64
		require.NoError(t, sh.Database().DB.QueryRowContext(b.ctx, "SELECT id FROM events WHERE what = 'probe'").Scan(&probe))
		require.Greater(t, probe, maxID)
		require.NoError(t, release())

		ops := w.halt(t)
		t.Logf("%s: %d writes by the application, %d catch-up rounds before the freeze", e.Label, ops, rounds)
		var ledger int
		require.NoError(t, sh.Database().DB.QueryRowContext(b.ctx, "SELECT COUNT(*) FROM herd_schema_migrations").Scan(&ledger))
		require.Equal(t, 1, ledger, "the ledger is in the shadow")
		require.NoError(t, sh.Abandon(b.ctx))
	})
}

// TestShadowVerifyMismatch corrupts the shadow and expects Verify to name
// each table that differs.
func TestShadowVerifyMismatch(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e)
		sh := b.prepare(t)
		require.NoError(t, sh.Verify(b.ctx))

		_, err := sh.Database().DB.ExecContext(b.ctx, "UPDATE pupils SET name = 'corrupt' WHERE id = 17")
		require.NoError(t, err)
		var mismatch *shadow.MismatchError
		require.ErrorAs(t, sh.Verify(b.ctx), &mismatch)
		require.Equal(t, []shadow.TableMismatch{{Table: "pupils", What: "checksum differs"}}, mismatch.Tables)
		require.Contains(t, mismatch.Error(), `table "pupils"`)

		_, err = sh.Database().DB.ExecContext(b.ctx, "DELETE FROM marks WHERE pupil_id = 18")
		require.NoError(t, err)
		require.ErrorAs(t, sh.Verify(b.ctx), &mismatch)
		require.Equal(t, []shadow.TableMismatch{
			{Table: "marks", What: fmt.Sprintf("rows: %d in the tenant, %d in the shadow", seeded, seeded-1)},
			{Table: "pupils", What: "checksum differs"},
		}, mismatch.Tables)

		// Catching up puts the rows right only where the tenant changed.
		b.exec(t, "UPDATE pupils SET score = 1 WHERE id = 17")
		_, err = sh.CatchUp(b.ctx)
		require.NoError(t, err)
		require.ErrorAs(t, sh.Verify(b.ctx), &mismatch)
		require.Equal(t, "marks", mismatch.Tables[0].Table)
		require.Len(t, mismatch.Tables, 1)
	})
}

// TestShadowRefusesKeylessTable refuses a tenant with a table without a
// primary key before it creates anything.
func TestShadowRefusesKeylessTable(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, "CREATE TABLE notes (body VARCHAR(20) NULL)")
		_, err := shadow.Prepare(b.ctx, b.srv, b.d, b.tenant, nil)
		var input *problem.InputError
		require.ErrorAs(t, err, &input)
		require.Contains(t, err.Error(), `"notes"`)
		require.Contains(t, err.Error(), b.tenant)
		require.False(t, b.captureExists(t))
		name, err := shadow.Name(b.tenant, b.srv.MaxNameLength())
		require.NoError(t, err)
		ok, err := b.srv.Exists(b.ctx, name)
		require.NoError(t, err)
		require.False(t, ok, "no shadow was made")
		b.exec(t, "INSERT INTO pupils (id, email) VALUES (0, 'free@x')") // no trigger left
	})
}

// TestShadowCascade deletes a parent whose children go with it (ON
// DELETE CASCADE): PostgreSQL and SQLite capture the children's
// deletion; MySQL fires no trigger for them, and is refused.
func TestShadowCascade(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, "CREATE TABLE notes (id INT NOT NULL PRIMARY KEY, pupil_id INT NOT NULL, "+
			"FOREIGN KEY (pupil_id) REFERENCES pupils (id) ON DELETE CASCADE)",
			"INSERT INTO notes (id, pupil_id) VALUES (1, 5), (2, 5), (3, 6)")
		sh, err := shadow.Prepare(b.ctx, b.srv, b.d, b.tenant, nil)
		if e.Name == "mysql" {
			var input *problem.InputError
			require.ErrorAs(t, err, &input)
			require.Contains(t, err.Error(), `"notes"`)
			require.False(t, b.captureExists(t))
			return
		}
		require.NoError(t, err)
		defer sh.Abandon(b.ctx) //nolint:errcheck // the test's end
		b.exec(t, "DELETE FROM marks WHERE pupil_id = 5", "DELETE FROM pupils WHERE id = 5")
		for {
			n, err := sh.CatchUp(b.ctx)
			require.NoError(t, err)
			if n == 0 {
				break
			}
		}
		require.NoError(t, sh.Verify(b.ctx))
	})
}

// TestShadowFreeze checks that a frozen tenant is read and not written,
// and that a freeze behind an open write gives up at its timeout.
func TestShadowFreeze(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e)
		sh := b.prepare(t)
		release, err := sh.Freeze(b.ctx, patience)
		require.NoError(t, err)
		_, err = sh.Freeze(b.ctx, patience)
		require.Error(t, err, "frozen twice")

		write := make(chan error, 1)
		go func() {
			_, err := b.db.DB.ExecContext(b.ctx, "UPDATE pupils SET name = 'during' WHERE id = 3")
			write <- err
		}()
		var n int
		readCtx, cancel := context.WithTimeout(b.ctx, patience)
		defer cancel()
		require.NoError(t, b.db.DB.QueryRowContext(readCtx, "SELECT COUNT(*) FROM pupils").Scan(&n), "a read while frozen")
		require.Equal(t, seeded, n)
		select {
		case err := <-write:
			t.Fatalf("a write went through the freeze (err %v)", err)
		case <-time.After(held):
		}
		require.NoError(t, release())
		require.NoError(t, release(), "released twice")
		select {
		case err := <-write:
			require.NoError(t, err, "the write waited, then went on")
		case <-time.After(patience):
			t.Fatal("the write did not go on after the freeze")
		}
		remaining, err := sh.CatchUp(b.ctx)
		require.NoError(t, err)
		require.Zero(t, remaining)
		require.NoError(t, sh.Verify(b.ctx), "the write made during the freeze is caught up")

		// An open write transaction holds a freeze off until its timeout.
		tx, err := b.db.DB.BeginTx(b.ctx, nil)
		require.NoError(t, err)
		defer tx.Rollback() //nolint:errcheck // the test's end
		_, err = tx.ExecContext(b.ctx, "UPDATE pupils SET name = 'open' WHERE id = 4")
		require.NoError(t, err)
		_, err = sh.Freeze(b.ctx, 200*time.Millisecond)
		require.ErrorIs(t, err, shadow.ErrFreezeTimeout)
		require.NoError(t, tx.Rollback())
		release, err = sh.Freeze(b.ctx, patience)
		require.NoError(t, err, "a freeze after the transaction ended")
		require.NoError(t, release())
	})
}

// TestShadowAbandon abandons a shadow, and removes one left behind by a
// herd that stopped without abandoning it.
func TestShadowAbandon(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e)
		shadowExists := func(sh *shadow.Shadow) bool {
			ok, err := b.srv.Exists(b.ctx, sh.Name())
			require.NoError(t, err)
			return ok
		}
		sh := b.prepare(t)
		require.True(t, shadowExists(sh))
		require.NoError(t, sh.Abandon(b.ctx))
		require.False(t, shadowExists(sh))
		require.False(t, b.captureExists(t))
		b.exec(t, "UPDATE pupils SET name = 'after' WHERE id = 1") // no trigger left
		require.NoError(t, sh.Abandon(b.ctx), "abandoned twice")

		st, err := shadow.Inspect(b.ctx, b.srv, b.d, b.tenant)
		require.NoError(t, err)
		require.False(t, st.LeftBehind(), "%+v", st)

		// Left behind: a herd that stops leaves the capture running; a
		// later one resumes it and catches up what changed meanwhile.
		left := b.prepare(t)
		require.NoError(t, left.Close())
		_, err = left.CatchUp(b.ctx)
		require.ErrorContains(t, err, "closed")
		b.exec(t, "UPDATE pupils SET name = 'while no herd ran' WHERE id = 2", "DELETE FROM marks WHERE pupil_id = 3")
		st, err = shadow.Inspect(b.ctx, b.srv, b.d, b.tenant)
		require.NoError(t, err)
		require.Equal(t, shadow.Status{Shadow: left.Name(), Capturing: true, Changes: 2, Exists: true, Marked: true}, st)
		require.True(t, st.Resumable())
		resumed, err := shadow.Resume(b.ctx, b.srv, b.d, b.tenant, nil)
		require.NoError(t, err)
		remaining, err := resumed.CatchUp(b.ctx)
		require.NoError(t, err)
		require.Zero(t, remaining)
		require.NoError(t, resumed.Verify(b.ctx))
		require.NoError(t, resumed.Close())

		// A second Prepare is refused until what was left is removed.
		_, err = shadow.Prepare(b.ctx, b.srv, b.d, b.tenant, nil)
		require.Error(t, err)
		require.Contains(t, err.Error(), "left behind")
		require.True(t, shadowExists(left), "a refused Prepare leaves the old shadow alone")
		require.NoError(t, shadow.Remove(b.ctx, b.srv, b.d, b.tenant))
		require.False(t, shadowExists(left))
		require.False(t, b.captureExists(t))
		_, err = shadow.Resume(b.ctx, b.srv, b.d, b.tenant, nil)
		require.ErrorContains(t, err, "no capture table")
		again := b.prepare(t)
		require.NoError(t, again.StopCapture(b.ctx))
		require.True(t, shadowExists(again), "StopCapture keeps the shadow")
		require.False(t, b.captureExists(t))

		// Once unmarked (switched to), the shadow is no longer Remove's.
		st, err = shadow.Inspect(b.ctx, b.srv, b.d, b.tenant)
		require.NoError(t, err)
		require.Equal(t, shadow.Status{Shadow: again.Name(), Exists: true}, st)
		require.False(t, st.LeftBehind())
		err = shadow.Remove(b.ctx, b.srv, b.d, b.tenant)
		require.ErrorContains(t, err, "left alone")
		require.True(t, shadowExists(again))
		require.NoError(t, b.srv.Drop(b.ctx, again.Name()))
	})
}

// TestShadowTruncate truncates a table of the tenant after its shadow was
// made: PostgreSQL captures it and CatchUp says so; elsewhere Verify
// finds the difference (MySQL fires no trigger on TRUNCATE; SQLite has
// none, and its DELETE without WHERE fires the row triggers).
func TestShadowTruncate(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, "INSERT INTO attendance (day, pupil_id, present) VALUES ('2024-05-06', 1, 1), ('2024-05-06', 2, 0)")
		sh := b.prepare(t)
		defer sh.Abandon(b.ctx) //nolint:errcheck // the test's end
		if e.Name == "sqlite" {
			b.exec(t, "DELETE FROM attendance")
		} else {
			b.exec(t, "TRUNCATE TABLE attendance")
		}
		_, err := sh.CatchUp(b.ctx)
		if e.Name == "postgres" {
			require.ErrorIs(t, err, shadow.ErrTruncated)
			require.Contains(t, err.Error(), `"attendance"`)
			return
		}
		require.NoError(t, err)
		err = sh.Verify(b.ctx)
		if e.Name == "mysql" {
			var mismatch *shadow.MismatchError
			require.ErrorAs(t, err, &mismatch)
			require.Equal(t, "attendance", mismatch.Tables[0].Table)
			return
		}
		require.NoError(t, err)
	})
}

// A watched database counts the row changes it takes (updates and deletes
// included) until it is unwatched; a keyless table cannot be watched.
func TestWatchWrites(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e)
		n, watched, err := shadow.Writes(b.ctx, b.srv, b.d, b.tenant)
		require.NoError(t, err)
		require.False(t, watched)
		require.Zero(t, n)

		require.NoError(t, shadow.Watch(b.ctx, b.srv, b.d, b.tenant))
		n, watched, err = shadow.Writes(b.ctx, b.srv, b.d, b.tenant)
		require.NoError(t, err)
		require.True(t, watched)
		require.Zero(t, n, "nothing written yet")
		b.exec(t, "UPDATE pupils SET score = 1 WHERE id = 1", "DELETE FROM marks WHERE pupil_id = 2",
			"INSERT INTO attendance (day, pupil_id, present) VALUES ('2026-12-07', 3, 1)")
		n, _, err = shadow.Writes(b.ctx, b.srv, b.d, b.tenant)
		require.NoError(t, err)
		require.Equal(t, 3, n)

		require.NoError(t, shadow.Unwatch(b.ctx, b.srv, b.d, b.tenant))
		_, watched, err = shadow.Writes(b.ctx, b.srv, b.d, b.tenant)
		require.NoError(t, err)
		require.False(t, watched)
		b.exec(t, "UPDATE pupils SET score = 2 WHERE id = 1") // no trigger left
		require.NoError(t, shadow.Unwatch(b.ctx, b.srv, b.d, b.tenant), "again: a no-op")

		b.exec(t, "CREATE TABLE notes (body VARCHAR(20) NULL)")
		err = shadow.Watch(b.ctx, b.srv, b.d, b.tenant)
		var input *problem.InputError
		require.ErrorAs(t, err, &input)
		require.Contains(t, err.Error(), `"notes"`)
		require.False(t, b.captureExists(t), "nothing installed")
	})
}
