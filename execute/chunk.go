package execute

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/internal/problem"
	"github.com/herdhq/herd/internal/retry"
	"github.com/herdhq/herd/plan"
	"github.com/herdhq/herd/source"
)

// chunked runs the up step of a chunked migration (see source.Chunk). It
// checks the key, then walks it by keyset: each range's upper bound is
// the size-th key above the last one done, and the statement runs for the
// range in a transaction of its own that also writes the range's progress
// to the migration's ledger row. A row left by an interrupted or failed
// run is carried on from the range after its last committed one, so every
// row of the table is changed once however often the run stops. Once no
// key is left it runs the validate script and records the migration
// applied.
func (s *Session) chunked(ctx context.Context, st prepared) error {
	step, m := st.step, st.step.Migration
	c := m.Chunk
	if len(st.actions) != 1 {
		return s.fail(step, action{}, fmt.Errorf("a chunked migration holds one statement, its script has %d", len(st.actions)))
	}
	a := st.actions[0]
	start := s.e.now()
	w, err := s.newWalk(ctx, s.conn, c)
	if err != nil {
		return s.fail(step, a, err)
	}
	var do source.RangeFunc
	if m.Go == nil {
		if do, err = s.rangeFunc(a.sql); err != nil {
			return s.fail(step, a, err)
		}
	}
	if s.ledgerMissing {
		if err := s.createLedger(ctx, s.conn); err != nil {
			return s.fail(step, a, err)
		}
		s.ledgerMissing = false
	}
	entry, resumed, err := s.chunkEntry(ctx, m)
	if err != nil {
		return s.fail(step, a, err)
	}
	from, more, err := w.start(ctx, s.conn, *entry.Chunk)
	if err != nil {
		return s.fail(step, a, err)
	}
	// The ledger writes outside the ranges are single upserts: one that
	// gave up on a lock (SQLite locks the whole file) changed nothing and
	// runs again.
	if !resumed {
		if err := s.retryLocks(ctx, step, 0, func() error { return s.ledger.write(ctx, s.conn, entry) }); err != nil {
			return s.fail(step, a, err)
		}
	}
	s.emit(event.StatementStarted, step, a.n, 0, nil)
	p := &progress{s: s, step: step, c: c, size: c.Size}
	if p.listened() {
		// Only a listener needs the share done.
		if p.span, err = w.span(ctx, s.conn); err != nil {
			return s.fail(step, a, err)
		}
	}
	r := &ranges{s: s, a: a, w: w, p: p, entry: entry, from: from, more: more}
	if m.Go != nil {
		err = runChunkedGo(ctx, a, s.conn, r.walk)
	} else {
		err = r.walk(ctx, do)
	}
	entry = r.entry
	if err != nil {
		return s.failDirty(ctx, step, entry, a, err)
	}
	p.finish(ctx, entry)
	if err := s.validate(ctx, s.conn, m); err != nil {
		return s.failDirty(ctx, step, entry, action{}, err)
	}
	entry.State, entry.Error, entry.AppliedAt = StateApplied, "", s.e.now()
	entry.StatementsDone, entry.StatementStarted = 1, 1
	entry.ExecutionMS = s.e.now().Sub(start).Milliseconds()
	if err := s.retryLocks(ctx, step, 0, func() error { return s.ledger.write(ctx, s.conn, entry) }); err != nil {
		return s.fail(step, action{}, err)
	}
	return nil
}

// chunkedUp reports whether step is a chunked migration going up (its
// down script runs as any other).
func chunkedUp(step plan.Step) bool {
	return step.Migration.Chunk != nil && step.Direction == plan.Up
}

// inRanges reports whether step runs range by range: a chunked migration
// going up, unless the session runs them whole (Options.WholeChunks) and
// no run in ranges left it part-way (see findPartWalks).
func (s *Session) inRanges(step plan.Step) bool {
	return chunkedUp(step) && (!s.e.wholeChunks || s.partWalks[step.Migration.ID()])
}

// wholeRange returns the action that runs chunked statement a once, over
// every key of c's table: from below the least key up to the greatest,
// after the same key check as a walk. It runs in the transaction it is
// given, so for a small tenant a chunked migration costs what the plain
// UPDATE would, and the key that a large tenant's walk would refuse is
// refused here too. An empty table runs nothing. A chunked Go migration's
// Up runs as a, and its Chunks calls the range function once, for that
// one range, in the same transaction.
func (s *Session) wholeRange(a action, c *source.Chunk) action {
	whole := a
	whole.run = func(ctx context.Context, db source.DB) error {
		w, err := s.newWalk(ctx, db, c)
		if err != nil {
			return err
		}
		walk := func(ctx context.Context, do source.RangeFunc) error {
			least, to, more, err := w.keyExtent(ctx, db)
			if err != nil || !more {
				return err
			}
			from, err := w.fromBelow(ctx, db, least)
			if err != nil {
				return err
			}
			_, err = do(ctx, db, from, to)
			return err
		}
		if a.sql == "" {
			return runChunkedGo(ctx, a, db, walk)
		}
		do, err := s.rangeFunc(a.sql)
		if err != nil {
			return err
		}
		return walk(ctx, do)
	}
	return whole
}

// chunkEntry returns the ledger row m's run starts from: the row of an
// interrupted run, carried on (resumed), or a new one.
func (s *Session) chunkEntry(ctx context.Context, m *source.Migration) (e Entry, resumed bool, err error) {
	entries, err := s.ledger.read(ctx, s.conn)
	if err != nil {
		return Entry{}, false, err
	}
	for _, old := range entries {
		if old.ID == m.ID() && old.Resumable() {
			old.Error, old.Checksum = "", m.Checksum(s.e.dialect.Name())
			return old, true, nil
		}
	}
	e = s.entry(m, plan.Up, 1)
	e.Chunk = &Progress{}
	return e, false, nil
}

// ranges is one run's walk over a chunked migration's key: the next
// range's lower bound, and the ledger row as its last range committed it.
type ranges struct {
	s *Session
	a action
	w *keyWalk
	p *progress
	// entry is the ledger row as the last range committed it.
	entry Entry
	// from is the next range's :from; more is false once no key is left.
	from any
	more bool
}

// walk runs do for each range left, each in a transaction of its own
// that also records the range done in the ledger (see runRange); before
// each it waits on the server's throttle probe, and after each it pauses.
// It keeps r.entry at the last range committed, whatever it returns.
func (r *ranges) walk(ctx context.Context, do source.RangeFunc) error {
	s, c := r.s, r.w.c
	for r.more {
		to, more, err := r.w.next(ctx, s.conn, r.from, r.p.size)
		if err != nil {
			return err
		}
		if r.more = more; !more {
			break
		}
		if err := r.p.throttle(ctx); err != nil {
			return err
		}
		began := s.e.now()
		var done Entry
		// A range that gave up on a lock rolled back whole: it runs again.
		err = s.retryLocks(ctx, r.p.step, r.a.n, func() (err error) {
			done, err = s.runRange(ctx, r.a, do, r.from, to, r.entry, r.w.format(to))
			return err
		})
		if err != nil {
			return fmt.Errorf("range of %s above %s up to %s: %w", c.Key, r.w.format(r.from), r.w.format(to), err)
		}
		r.p.ranged(ctx, r.w.format(r.from), r.w.format(to), done.Chunk.Rows, s.e.now().Sub(began))
		r.entry, r.from = done, to
		if err := retry.Sleep(ctx, c.Pause); err != nil {
			return err
		}
	}
	return nil
}

// rangeFunc returns what a chunked SQL migration runs for each range: its
// statement stmt with :from and :to bound, counting the rows it changed.
// (A Go migration's Up walks the key through source.Chunker instead.)
func (s *Session) rangeFunc(stmt string) (source.RangeFunc, error) {
	bound, err := s.bindRange(stmt)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, tx source.DB, from, to any) (int64, error) {
		res, err := tx.ExecContext(ctx, bound.sql, bound.args(from, to)...)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	}, nil
}

// runRange runs do for the range of keys above from up to to in a
// transaction that also writes entry with the range (up to last) recorded
// done, and returns that entry.
func (s *Session) runRange(ctx context.Context, a action, do source.RangeFunc, from, to any, entry Entry, last string) (Entry, error) {
	tx, err := s.conn.BeginTx(ctx, nil)
	if err != nil {
		return entry, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var changed int64
	ranged := a
	ranged.run = func(ctx context.Context, db source.DB) (err error) {
		changed, err = do(ctx, db, from, to)
		return err
	}
	if err := s.run(ctx, ranged, tx); err != nil {
		return entry, err
	}
	if a.mayLeave {
		if err := s.confined(ctx, tx); err != nil {
			return entry, err
		}
	}
	done := entry
	done.Chunk = &Progress{Last: last, HasLast: true, Rows: entry.Chunk.Rows + changed}
	if err := s.ledger.write(ctx, tx, done); err != nil {
		return entry, err
	}
	if err := tx.Commit(); err != nil {
		return entry, fmt.Errorf("commit: %w", err)
	}
	return done, nil
}

// progress follows one run of a chunked migration: it adapts the size of
// its ranges and emits its Chunk events.
type progress struct {
	s    *Session
	step plan.Step
	c    *source.Chunk
	size int
	// ranges counts the ranges this run committed; from and to bound the
	// last.
	ranges   int
	from, to string
	rows     int64
	sent     time.Time
	// throttled is how long this run waited on the throttle probe;
	// throttleSent is when it last emitted ChunkThrottled.
	throttled    time.Duration
	throttleSent time.Time
	// span is the key's span when the run began, nil for a text key or
	// when no one listens.
	span *keySpan
}

// ranged notes a committed range of the keys above from up to to, after
// which rows were changed in all, that took took; it emits a Chunk event
// when a second has passed since the last.
func (p *progress) ranged(ctx context.Context, from, to string, rows int64, took time.Duration) {
	p.ranges++
	p.from, p.to, p.rows = from, to, rows
	lo, hi := p.c.ChunkBounds()
	p.size = nextSize(p.size, took, p.c.Target, lo, hi)
	if now := p.s.e.now(); now.Sub(p.sent) >= time.Second {
		p.sent = now
		p.emit(ctx, false)
	}
}

// finish emits the run's last Chunk event.
func (p *progress) finish(ctx context.Context, e Entry) {
	p.rows = e.Chunk.Rows
	if p.to == "" {
		p.to = e.Chunk.Last
	}
	p.emit(ctx, true)
}

// listened reports whether anyone hears of the progress: the event sink
// or the progress recorder.
func (p *progress) listened() bool {
	return p.s.e.events != nil || p.s.e.progress != nil
}

// emit sends a Chunk event, and tells the progress recorder.
func (p *progress) emit(ctx context.Context, done bool) {
	if !p.listened() {
		return
	}
	c := event.ChunkProgress{Table: p.c.Table, Key: p.c.Key, From: p.from, To: p.to, Rows: p.rows,
		Ranges: p.ranges, Size: p.size, Throttled: p.throttled, Share: p.share(done), Done: done}
	id := p.step.Migration.ID()
	if p.s.e.progress != nil {
		p.s.e.progress.ChunkProgress(ctx, id, c)
	}
	if p.s.e.events != nil {
		p.s.e.events.Send(event.Event{Type: event.Chunk, Time: p.s.e.now().UTC(), Database: p.s.db.Name,
			Migration: id, Direction: string(plan.Up), Chunk: &c})
	}
}

// share is how much of the key's span the run has covered: all of it once
// done.
func (p *progress) share(done bool) float64 {
	if done {
		return 1
	}
	return p.span.share(p.to)
}

// nextSize is the size of the range after one of size keys that took
// took: moved toward the size that would have taken target, by at most
// half or double a range, and kept within lo and hi. Without a target
// the size stays.
func nextSize(size int, took, target time.Duration, lo, hi int) int {
	if target <= 0 || took <= 0 {
		return size
	}
	next := int(float64(size) * float64(target) / float64(took))
	next = min(max(next, size/2), size*2)
	return min(max(next, lo), hi)
}

// ErrChunkKey marks a chunked migration whose table or key herd cannot
// walk: the table or column is missing, the column is not an integer or
// text, not unique on its own, or may hold NULL. Nothing ran.
var ErrChunkKey = errors.New("chunked migration's key cannot be walked")

// checkKey returns an input error when k cannot be walked.
func checkKey(c *source.Chunk, k dialect.ChunkKey) error {
	var why string
	switch {
	case !k.Found:
		why = "there is no such table or column"
	case k.Kind == "":
		why = fmt.Sprintf("its type %s is neither an integer nor a text type", k.Type)
	case !k.Unique:
		why = "it is not unique: no primary key or unique index covers it alone"
	case !k.NotNull:
		why = "it may hold NULL, and rows with a NULL key would never be reached: make it NOT NULL"
	default:
		return nil
	}
	return &problem.InputError{Err: fmt.Errorf("%w: table %s, key %s: %s", ErrChunkKey, c.Table, c.Key, why)}
}
