package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
)

// rollbacks are the emergency rollbacks this process runs in the
// background, at most one per rollout. They run on a context of the
// server's lifetime, not of the request that started them: shutdown
// ends it, and each then finishes the tenant in flight and records
// itself interrupted. Safe for concurrent use.
type rollbacks struct {
	ctx  context.Context
	stop context.CancelFunc
	// each is told each tenant's outcome, with ctx; nil logs it only.
	each func(context.Context, herd.RolledBack)
	log  *slog.Logger

	mu      sync.Mutex
	running map[int64]bool
	wg      sync.WaitGroup
}

func newRollbacks(each func(context.Context, herd.RolledBack), log *slog.Logger) *rollbacks {
	ctx, stop := context.WithCancel(context.Background())
	return &rollbacks{ctx: ctx, stop: stop, each: each, log: log, running: map[int64]bool{}}
}

// claim reserves rollout id for a rollback; false when one runs already
// (or the server is shutting down).
func (rbs *rollbacks) claim(id int64) bool {
	rbs.mu.Lock()
	defer rbs.mu.Unlock()
	if rbs.running[id] || rbs.ctx.Err() != nil {
		return false
	}
	rbs.running[id] = true
	return true
}

// release gives rollout id's claim back.
func (rbs *rollbacks) release(id int64) {
	rbs.mu.Lock()
	defer rbs.mu.Unlock()
	delete(rbs.running, id)
}

// run runs a claimed rollback in the background and releases its claim
// when it ends.
func (rbs *rollbacks) run(id int64, actor string, run *herd.RollbackRun) {
	rbs.wg.Add(1)
	go func() {
		defer rbs.wg.Done()
		defer rbs.release(id)
		out, err := run.Run(rbs.ctx, func(b herd.RolledBack) {
			rbs.log.Info("console: emergency rollback: tenant", "rollout", id, "tenant", b.Tenant, "how", b.How, "err", b.Err)
			if rbs.each != nil {
				rbs.each(rbs.ctx, b)
			}
		})
		rbs.log.Info("console: emergency rollback ended", "actor", actor, "rollout", id, "tenants", len(out.RolledBack), "err", err)
	}()
}

// shutdown stops the rollbacks from starting other tenants and waits
// until those in flight are done and recorded, or ctx ends.
func (rbs *rollbacks) shutdown(ctx context.Context) error {
	rbs.mu.Lock()
	rbs.stop() // under the lock: no claim succeeds after it
	rbs.mu.Unlock()
	done := make(chan struct{})
	go func() {
		rbs.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("server: wait for the emergency rollbacks to stop: %w", ctx.Err())
	}
}

// startRollback begins the emergency rollback of rollout id in the
// request, runs it in the background and sends the operator to the
// rollout's page, which follows it. A second one of the same rollout
// while the first runs, in this process or another, is refused 409.
func (c *console) startRollback(w http.ResponseWriter, r *http.Request, p principal, id int64) {
	if !c.rollbacks.claim(id) {
		c.fail(w, r, p, http.StatusConflict, fmt.Sprintf("an emergency rollback of rollout %d is running already (or herd serve is stopping): follow it on the rollout's page", id))
		return
	}
	// Once begun the rollout is aborted: begin it whatever the browser does.
	run, err := c.fleet.BeginRollback(context.WithoutCancel(r.Context()), p.name, id)
	c.log.Info("console: emergency rollback started", "actor", p.name, "rollout", id, "err", err)
	if err != nil {
		c.rollbacks.release(id)
		if errors.Is(err, control.ErrRollbackRunning) {
			c.fail(w, r, p, http.StatusConflict, err.Error()+": follow it on the rollout's page")
			return
		}
		c.readFailed(w, r, p, err)
		return
	}
	c.rollbacks.run(id, p.name, run)
	http.Redirect(w, r, fmt.Sprintf("/rollouts/%d?done=%s", id, herd.RollbackRollout), http.StatusSeeOther)
}
