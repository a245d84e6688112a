package control

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// group commits the writes of concurrent callers together: while one
// transaction is committing, the writes that arrive queue up, and the next
// transaction carries all of them. Each caller still returns only once
// its write is committed, so durability is unchanged; a fleet migrated by
// N workers makes about one control-database commit per round of N
// tenants instead of one per tenant.
//
// One caller at a time leads: it takes the whole queue, commits it in one
// transaction with one change-counter bump, hands the lead to the first
// write that queued meanwhile, and returns. When a batch fails, each of
// its writes is retried in a transaction of its own, so that one bad
// write fails only its own caller.
type group struct {
	mu    sync.Mutex
	queue []*groupWrite
	busy  bool // a leader is committing
}

// batchTimeout bounds one shared commit, which no single caller's context
// may cancel; callers wait for their write's batch, so it also bounds how
// long a caller waits on a control database that hangs.
const batchTimeout = time.Minute

// groupWrite is one caller's write and where its outcome goes.
type groupWrite struct {
	fn   func(*sql.Tx) error
	done chan error    // the write's outcome
	lead chan struct{} // this caller leads the next batch
}

// inGroupTx runs fn in a transaction shared with the writes of other
// callers that arrive meanwhile, and returns once it is committed. fn may
// run more than once (a failed batch is retried write by write), so it
// must do nothing but write through tx.
func (s *Store) inGroupTx(ctx context.Context, fn func(*sql.Tx) error) error {
	w := &groupWrite{fn: fn, done: make(chan error, 1), lead: make(chan struct{}, 1)}
	g := &s.group
	g.mu.Lock()
	g.queue = append(g.queue, w)
	leader := !g.busy
	g.busy = true
	g.mu.Unlock()
	if !leader {
		select {
		case err := <-w.done:
			return err
		case <-w.lead:
		}
	}
	g.mu.Lock()
	batch := g.queue
	g.queue = nil
	g.mu.Unlock()

	// The batch carries other callers' writes: it must not end with this
	// caller's context, but it must end.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), batchTimeout)
	s.commit(bctx, batch)
	cancel()

	g.mu.Lock()
	if len(g.queue) > 0 {
		g.queue[0].lead <- struct{}{}
	} else {
		g.busy = false
	}
	g.mu.Unlock()
	return <-w.done
}

// commit writes batch in one transaction, or, when that fails, each write
// in a transaction of its own, and reports every write's outcome.
func (s *Store) commit(ctx context.Context, batch []*groupWrite) {
	all := func(ws []*groupWrite) error {
		return s.inTx(ctx, func(tx *sql.Tx) error {
			for _, w := range ws {
				if err := w.fn(tx); err != nil {
					return err
				}
			}
			return s.bump(ctx, tx)
		})
	}
	if err := all(batch); err == nil || len(batch) == 1 {
		for _, w := range batch {
			w.done <- err
		}
		return
	}
	for _, w := range batch {
		w.done <- all([]*groupWrite{w})
	}
}
