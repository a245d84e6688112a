package bench

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/internal/retry"
)

// writerLockTimeout bounds each of the writer's lock waits: long enough to
// wait out the floor's whole UPDATE rather than give up (MySQL's default
// innodb_lock_wait_timeout is 50 seconds).
const writerLockTimeout = time.Hour

// backfillTarget is the tenant schema version of the herd side's backfill.
const backfillTarget = "v1.1.0"

// timeBackfill prepares j's backfill side, starts the writer on the side's
// database and times the section.
func timeBackfill(ctx context.Context, j job, dialects []dialect.Dialect) (result, error) {
	d := dialect.Named(dialects, j.Engine)
	if d == nil {
		return result{}, fmt.Errorf("bench: no dialect wired for engine %q", j.Engine)
	}
	b := j.Backfill
	srv, err := d.OpenServer(ctx, dialect.ServerConfig{Name: "backfill", DSN: b.ServerDSN})
	if err != nil {
		return result{}, fmt.Errorf("bench: %w", err)
	}
	defer srv.Close()
	section, closeSide, err := backfillSection(ctx, j, d, srv)
	if err != nil {
		return result{}, err
	}
	defer closeSide()
	w, err := startWriter(ctx, d, srv, b.Database, b.Rows)
	if err != nil {
		return result{}, err
	}
	run, err := timeSection(ctx, j.CPUProfile, section)
	return result{Run: run, Writer: w.stop()}, err
}

// backfillSection returns j's timed work and what releases its resources.
func backfillSection(ctx context.Context, j job, d dialect.Dialect, srv dialect.Server) (func(context.Context) error, func(), error) {
	b := j.Backfill
	if j.Side == Herd {
		f, err := openFleetOn(ctx, []byte(j.Config), j.ConfigPath, []dialect.Dialect{d}, backfillMigrations(b.Header))
		if err != nil {
			return nil, nil, err
		}
		section := func(ctx context.Context) error {
			return f.Migrate(ctx, control.TenantRef(backfillCode), backfillTarget)
		}
		return section, func() { f.Close() }, nil
	}
	db, err := srv.Open(ctx, b.Database)
	if err != nil {
		return nil, nil, fmt.Errorf("bench: %s: %w", j.Side, err)
	}
	closeDB := func() { db.Close() }
	switch j.Side {
	case Floor:
		return func(ctx context.Context) error { return floorBackfill(ctx, db.DB) }, closeDB, nil
	case Offset:
		return func(ctx context.Context) error { return offsetBackfill(ctx, db.DB, b.ChunkSize, b.Pause) }, closeDB, nil
	}
	closeDB()
	return nil, nil, fmt.Errorf("bench: unknown side %q", j.Side)
}

// floorBackfill is the floor: one UPDATE of the whole table in one
// transaction.
func floorBackfill(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("floor: begin: %w", err)
	}
	if _, err := tx.ExecContext(ctx, backfillSet); err != nil {
		tx.Rollback() //nolint:errcheck // the statement's error is the one to report
		return fmt.Errorf("floor: update: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("floor: commit: %w", err)
	}
	return nil
}

// offsetBackfill is the brief's largeTenantMigration: count the rows, then
// for each offset from 0 by size change the page of size rows there, in
// order of the key, each page in a transaction of its own, with pause
// between two pages (herd's pause, so that both sides leave the writer
// the same gaps; the brief's own delay of 100 ms is left out). The page
// is read through a derived table, which MySQL needs both to take LIMIT
// in an IN subquery and to read the table it updates.
func offsetBackfill(ctx context.Context, db *sql.DB, size int, pause time.Duration) error {
	var total int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM students").Scan(&total); err != nil {
		return fmt.Errorf("offset: count: %w", err)
	}
	for offset := 0; offset < total; offset += size {
		q := fmt.Sprintf("%s WHERE id IN (SELECT id FROM (SELECT id FROM students ORDER BY id LIMIT %d OFFSET %d) page)",
			backfillSet, size, offset)
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("offset %d: begin: %w", offset, err)
		}
		if _, err := tx.ExecContext(ctx, q); err != nil {
			tx.Rollback() //nolint:errcheck // the statement's error is the one to report
			return fmt.Errorf("offset %d: update: %w", offset, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("offset %d: commit: %w", offset, err)
		}
		if pause > 0 && offset+size < total {
			if err := retry.Sleep(ctx, pause); err != nil {
				return err
			}
		}
	}
	return nil
}

// writer updates a random student every WriterInterval on a connection of
// its own and records how long each statement took.
type writer struct {
	done, stopped chan struct{}
	db            *dialect.Database
	conn          *sql.Conn
	latencies     []time.Duration
	errs          []error
}

// startWriter starts a writer on database name of srv, whose students are
// 1 to rows.
func startWriter(ctx context.Context, d dialect.Dialect, srv dialect.Server, name string, rows int) (*writer, error) {
	db, err := srv.Open(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("bench: writer: %w", err)
	}
	conn, err := db.DB.Conn(ctx)
	if err == nil {
		if g, ok := d.(dialect.SessionGuard); ok {
			err = g.GuardSession(ctx, conn, writerLockTimeout)
		}
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("bench: writer: %w", err)
	}
	w := &writer{done: make(chan struct{}), stopped: make(chan struct{}), db: db, conn: conn}
	stmt := "UPDATE students SET grade = grade + 1 WHERE id = " + d.Placeholder(1)
	go w.loop(ctx, stmt, rows)
	return w, nil
}

// loop runs the writer's statements, the first at once (a side shorter
// than WriterInterval still meets one), until stop.
func (w *writer) loop(ctx context.Context, stmt string, rows int) {
	defer close(w.stopped)
	tick := time.NewTicker(WriterInterval)
	defer tick.Stop()
	for {
		id := rand.Int64N(int64(rows)) + 1
		start := time.Now()
		_, err := w.conn.ExecContext(ctx, stmt, id)
		w.latencies = append(w.latencies, time.Since(start))
		if err != nil {
			w.errs = append(w.errs, err)
		}
		select {
		case <-w.done:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// stop ends the writer once its statement in flight is done, releases its
// connection and returns its figures.
func (w *writer) stop() WriterStats {
	close(w.done)
	<-w.stopped
	w.conn.Close()
	w.db.Close()
	return writerStats(w.latencies, w.errs)
}

// writerStats summarizes the writer's latencies and errors.
func writerStats(latencies []time.Duration, errs []error) WriterStats {
	s := WriterStats{Statements: len(latencies), Errors: len(errs)}
	if len(errs) > 0 {
		s.FirstError = errs[0].Error()
	}
	if len(latencies) == 0 {
		return s
	}
	sorted := slices.Clone(latencies)
	slices.Sort(sorted)
	s.P50, s.P99, s.Max = percentile(sorted, 0.50), percentile(sorted, 0.99), sorted[len(sorted)-1]
	return s
}

// percentile is the p-th quantile of sorted (nearest rank), or 0 for none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}
