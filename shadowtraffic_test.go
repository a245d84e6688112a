package herd_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/router"
)

// trafficStudents is how many students the tenant under traffic holds.
const trafficStudents = 100_000

// trafficEvery is how often the reader reads and the writer writes.
const trafficEvery = 10 * time.Millisecond

// shadowableSchool is the School ERP example's migrations with every
// ON DELETE CASCADE made ON DELETE RESTRICT: MySQL fires no trigger for
// the rows a cascade changes, so a shadow migration refuses a tenant with
// one (see docs/shadow.md); the rest of the path to v2.0.0 (the student
// model's new columns, fee transactions, the chunked backfill of every
// student) is the example's.
func shadowableSchool(t *testing.T) fs.FS {
	t.Helper()
	out := fstest.MapFS{}
	src := schoolMigrations(t)
	require.NoError(t, fs.WalkDir(src, ".", func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		body, err := fs.ReadFile(src, path)
		if err != nil {
			return err
		}
		out[path] = file(strings.ReplaceAll(string(body), "ON DELETE CASCADE", "ON DELETE RESTRICT"))
		return nil
	}))
	return out
}

// seedStudents inserts n students into tenant code in one INSERT …
// SELECT over a recursive CTE, which every engine runs as written
// (admission numbers S0 … S<n-1>).
func (b *bundle) seedStudents(code string, n int) {
	b.t.Helper()
	const width = 1000 // the CTE's rows; MySQL recurses 1000 times at most by default
	require.Zero(b.t, n%width)
	_, err := b.fleet.SeedTenant(b.ctx, code, fmt.Sprintf(
		"INSERT INTO students (admission_no, first_name, last_name) "+
			"WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < %d) "+
			"SELECT CONCAT('S', hi.i * %d + lo.i), 'First', 'Last' FROM n hi, n lo WHERE hi.i < %d;",
		width-1, width, n/width))
	require.NoError(b.t, err)
}

// traffic is an application's reader and writer of one tenant, each
// going through a router every trafficEvery.
type traffic struct {
	t      *testing.T
	r      *router.Router
	code   string
	bound  time.Duration // shadow.freeze_timeout
	guard  dialect.SessionGuard
	stop   chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex
	pools  map[string]*dialect.Database // by database (or schema) name
	report trafficReport
}

// trafficReport is what the reader and the writer saw.
type trafficReport struct {
	reads, readErrors int
	slowestRead       time.Duration
	readErr           error
	// inserted and updated are the writes that succeeded: the inserted
	// admission numbers, and each updated student's new phone by id.
	inserted []string
	updated  map[int]string
	// readOnly counts the writes refused because the router reported
	// the tenant read-only; moved those the old database refused after
	// the switch (router.Moved); timedOut those that waited for the
	// freeze for the whole bound; slowestWrite is the longest any write
	// took, whatever its outcome.
	readOnly, moved, timedOut int
	slowestWrite              time.Duration
	writeErr                  error
	// databases are the databases the writer wrote to, in order.
	databases []string
}

func startTraffic(t *testing.T, r *router.Router, code string, bound time.Duration, guard dialect.SessionGuard) *traffic {
	tr := &traffic{t: t, r: r, code: code, bound: bound, guard: guard, stop: make(chan struct{}),
		pools: map[string]*dialect.Database{}, report: trafficReport{updated: map[int]string{}}}
	tr.wg.Add(2)
	go tr.read()
	go tr.write()
	return tr
}

// finish stops the reader and the writer and returns what they saw.
func (tr *traffic) finish() trafficReport {
	close(tr.stop)
	tr.wg.Wait()
	for _, db := range tr.pools {
		db.Close()
	}
	return tr.report
}

// pool returns the pool of the database target names, opening it the
// first time: an application keeps a pool while Resolve names the same
// database.
func (tr *traffic) pool(ctx context.Context, tg router.Target) (*dialect.Database, string, error) {
	name := tg.Database + tg.Schema
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if db, ok := tr.pools[name]; ok {
		return db, name, nil
	}
	db, err := tr.r.OpenTenant(ctx, tr.code)
	if err != nil {
		return nil, "", err
	}
	tr.pools[name] = db
	return db, name, nil
}

// every runs fn every trafficEvery until stop.
func (tr *traffic) every(fn func(i int)) {
	defer tr.wg.Done()
	tick := time.NewTicker(trafficEvery)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-tr.stop:
			return
		case <-tick.C:
		}
		fn(i)
	}
}

// read counts a range of students. Reads never wait for the freeze.
func (tr *traffic) read() {
	tr.every(func(i int) {
		ctx := context.Background()
		began := time.Now()
		err := func() error {
			tg, err := tr.r.Resolve(ctx, tr.code)
			if err != nil {
				return err
			}
			db, _, err := tr.pool(ctx, tg)
			if err != nil {
				return err
			}
			from := 1 + (i*97)%trafficStudents
			var n int
			return db.DB.QueryRowContext(ctx, fmt.Sprintf("SELECT COUNT(*) FROM students WHERE id BETWEEN %d AND %d", from, from+50)).Scan(&n)
		}()
		took := time.Since(began)
		rep := &tr.report
		rep.reads++
		rep.slowestRead = max(rep.slowestRead, took)
		if err != nil {
			rep.readErrors++
			rep.readErr = err
		}
	})
}

// write inserts a student and updates another, resolving the tenant
// before each: it refuses to write while the router reports the tenant
// read-only, and gives each write the freeze's bound.
func (tr *traffic) write() {
	tr.every(func(i int) {
		tr.writeOne(fmt.Sprintf("INSERT INTO students (admission_no, first_name, last_name) VALUES ('L%d', 'Live', 'Writer')", i), func() {
			tr.report.inserted = append(tr.report.inserted, fmt.Sprintf("L%d", i))
		})
		id := 1 + i
		tr.writeOne(fmt.Sprintf("UPDATE students SET guardian_phone = 'w%d' WHERE id = %d", i, id), func() {
			tr.report.updated[id] = fmt.Sprintf("w%d", i)
		})
	})
}

func (tr *traffic) writeOne(stmt string, succeeded func()) {
	rep := &tr.report
	tg, err := tr.r.Resolve(context.Background(), tr.code)
	if err != nil {
		rep.writeErr = err
		return
	}
	if tg.ReadOnly {
		rep.readOnly++
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), tr.bound)
	defer cancel()
	began := time.Now()
	db, name, err := tr.pool(ctx, tg)
	if err == nil {
		_, err = db.DB.ExecContext(ctx, stmt)
	}
	rep.slowestWrite = max(rep.slowestWrite, time.Since(began))
	switch {
	case err == nil:
		succeeded()
		if n := len(rep.databases); n == 0 || rep.databases[n-1] != name {
			rep.databases = append(rep.databases, name)
		}
	case router.Moved(err):
		rep.moved++
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil || tr.guard.LockTimedOut(err):
		rep.timedOut++
	default:
		rep.writeErr = fmt.Errorf("%s: %w", stmt, err)
	}
}

// A tenant of 100,000 students is shadow-migrated to v2.0.0 while an
// application reads it and writes it every 10 ms through the router,
// resolving the tenant before each query. The reader sees no error and
// never waits as long as the freeze's bound; every write the writer saw
// succeed is in the migrated tenant, once; the writes during the freeze
// were refused (the router reported the tenant read-only), or waited and
// then failed (the bound passed, or the old database, sealed at the
// switch, refused them): none went where no one reads.
//
// The bound is shadow.freeze_timeout, 2 s: a read takes milliseconds, and
// the bound leaves room for this shared 2-core machine, where the test's
// engines run side by side with the servers and other tests.
func TestShadowMigrationUnderTraffic(t *testing.T) {
	t.Parallel()
	const bound = 2 * time.Second
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, shadowableSchool(t))
		b.scratch.WriteConfig(t, b.scratch.Config(fmt.Sprintf("shadow: {freeze_timeout: %s}\n", bound)))
		b.reopen()
		b.addTenant("busy")
		require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("busy"), "1.1.0"))
		b.seedStudents("busy", trafficStudents)
		old := b.tenantDatabase("busy")

		// An application's router, refreshing every 100 ms, so that it
		// sees the freeze while it lasts.
		r, err := router.Open(b.ctx, b.scratch.Load(t), herdtest.Dialects(), router.Options{Refresh: 100 * time.Millisecond})
		require.NoError(t, err)
		defer r.Close()
		d, _ := b.tenantServer()
		tr := startTraffic(t, r, "busy", bound, d.(dialect.SessionGuard))
		time.Sleep(300 * time.Millisecond) // traffic before the migration
		began := time.Now()
		err = b.fleet.MigrateShadow(b.ctx, "busy", "2.0.0")
		took := time.Since(began)
		time.Sleep(time.Second) // and after: the writer follows the switch
		rep := tr.finish()
		require.NoError(t, err)
		t.Logf("%s: migrated in %s; %d reads, slowest %s; %d inserts and %d updates succeeded (on %v), %d refused read-only, %d refused by the sealed old database, %d gave up after %s; slowest write %s",
			e.Label, took.Round(time.Millisecond), rep.reads, rep.slowestRead.Round(time.Millisecond), len(rep.inserted), len(rep.updated), rep.databases,
			rep.readOnly, rep.moved, rep.timedOut, bound, rep.slowestWrite.Round(time.Millisecond))

		b.requireSwitched("busy", old)
		moved := b.tenantDatabase("busy")
		b.agree(control.TenantRef("busy"), "2.0.0")
		require.Zero(t, rep.readErrors, "the reader saw no error (last: %v)", rep.readErr)
		require.Less(t, rep.slowestRead, bound, "no read waited for the freeze")
		require.NoError(t, rep.writeErr, "a write failed otherwise than by the freeze")
		require.Less(t, rep.slowestWrite, bound+time.Second, "a write waited past the bound (and the time to give up)")
		require.Equal(t, moved, rep.databases[len(rep.databases)-1], "the writer followed the switch")

		db, _, err := b.fleet.OpenTenant(b.ctx, "busy")
		require.NoError(t, err)
		defer db.Close()
		present := map[string]int{}
		rows, err := db.DB.QueryContext(b.ctx, "SELECT admission_no FROM students WHERE admission_no LIKE 'L%'")
		require.NoError(t, err)
		for rows.Next() {
			var no string
			require.NoError(t, rows.Scan(&no))
			present[no]++
		}
		require.NoError(t, rows.Err())
		for _, no := range rep.inserted {
			require.Equal(t, 1, present[no], "insert %s: in the migrated tenant once", no)
		}
		phones := map[int]string{}
		rows, err = db.DB.QueryContext(b.ctx, "SELECT id, guardian_phone FROM students WHERE guardian_phone LIKE 'w%'")
		require.NoError(t, err)
		for rows.Next() {
			var id int
			var phone string
			require.NoError(t, rows.Scan(&id, &phone))
			phones[id] = phone
		}
		require.NoError(t, rows.Err())
		for id, phone := range rep.updated {
			require.Equal(t, phone, phones[id], "update of student %d", id)
		}
		require.Equal(t, trafficStudents+len(present), b.count("busy", "students"), "no student lost or doubled")
		var unfilled int
		require.NoError(t, db.DB.QueryRowContext(b.ctx, "SELECT COUNT(*) FROM students WHERE custom_fields IS NULL AND admission_no LIKE 'S%'").Scan(&unfilled))
		require.Zero(t, unfilled, "the backfill reached every student")
		_, err = b.fleet.CleanupSwitches(b.ctx, 0, true)
		require.NoError(t, err, "drop the old database")
	})
}
