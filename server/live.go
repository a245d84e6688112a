package server

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/herdhq/herd"
)

// DefaultLiveEvery is how often the live updates' poller reads the
// control database when Options.LiveEvery is not set.
const DefaultLiveEvery = time.Second

// liveFleet is what live updates read of a fleet.
type liveFleet interface {
	// Generation reads the control database's change counter.
	Generation(ctx context.Context) (int64, error)
	// WatchRollout reads a rollout with its waves, budgets and pace.
	WatchRollout(ctx context.Context, id int64) (herd.RolloutWatch, error)
}

// frame is one update of a rollout as its watchers get it: the progress
// fragment rendered for viewers and for operators (who see the actions).
type frame struct {
	viewer, operator []byte
}

// watcher is one viewer's stream of a rollout's frames. Its channel holds
// the newest frame only: a slow viewer skips frames, it never holds the
// poller up.
type watcher struct {
	rollout int64
	frames  chan frame
}

// live is the one poller per server that feeds every viewer of a running
// rollout: each tick it reads the control database's change counter, and
// only when the counter moved does it read each watched rollout again,
// once, whatever the number of viewers, and hand the new frame to them
// all. It runs while someone watches and stops at the first tick without
// a watcher. Safe for concurrent use.
type live struct {
	fleet  liveFleet
	render func(herd.RolloutWatch) (frame, error)
	// ticks starts the poller's clock; the returned stop ends it.
	ticks func() (<-chan time.Time, func())
	log   *slog.Logger

	mu       sync.Mutex
	watchers map[int64]map[*watcher]bool
	frames   map[int64]frame
	running  bool
}

func newLive(fleet liveFleet, every time.Duration, render func(herd.RolloutWatch) (frame, error), log *slog.Logger) *live {
	return &live{fleet: fleet, render: render, log: log,
		ticks: func() (<-chan time.Time, func()) {
			t := time.NewTicker(every)
			return t.C, t.Stop
		},
		watchers: map[int64]map[*watcher]bool{}, frames: map[int64]frame{}}
}

// watch adds a watcher of rollout id, starting the poller if it was
// idle. The rollout's last frame, when the poller has one, is the
// watcher's first.
func (l *live) watch(id int64) *watcher {
	w := &watcher{rollout: id, frames: make(chan frame, 1)}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.watchers[id] == nil {
		l.watchers[id] = map[*watcher]bool{}
	}
	l.watchers[id][w] = true
	if f, ok := l.frames[id]; ok {
		w.frames <- f
	}
	if !l.running {
		l.running = true
		go l.poll()
	}
	return w
}

// unwatch removes w.
func (l *live) unwatch(w *watcher) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.watchers[w.rollout], w)
	if len(l.watchers[w.rollout]) == 0 {
		delete(l.watchers, w.rollout)
		delete(l.frames, w.rollout)
	}
}

// poll reads and fans out, tick by tick, until a tick finds no watcher.
func (l *live) poll() {
	ticks, stop := l.ticks()
	defer stop()
	ctx := context.Background()
	var seen int64 = -1
	for range ticks {
		ids, stale := l.watched()
		if len(ids) == 0 {
			return
		}
		gen, err := l.fleet.Generation(ctx)
		if err != nil {
			l.log.Warn("console: live updates: read the change counter", "err", err)
			continue
		}
		if gen == seen {
			ids = stale // only the rollouts that have no frame yet
		}
		seen = gen
		for _, id := range ids {
			l.refresh(ctx, id)
		}
	}
}

// watched returns the watched rollouts, and those of them without a
// frame yet; it ends the poller (under the lock, so that a new watcher
// starts another) when there are none.
func (l *live) watched() (ids, stale []int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id := range l.watchers {
		ids = append(ids, id)
		if _, ok := l.frames[id]; !ok {
			stale = append(stale, id)
		}
	}
	if len(ids) == 0 {
		l.running = false
	}
	return ids, stale
}

// refresh reads rollout id once and hands its frame to its watchers.
func (l *live) refresh(ctx context.Context, id int64) {
	p, err := l.fleet.WatchRollout(ctx, id)
	if err != nil {
		l.log.Warn("console: live updates: read a rollout", "rollout", id, "err", err)
		return
	}
	f, err := l.render(p)
	if err != nil {
		l.log.Error("console: live updates: render a rollout", "rollout", id, "err", err)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.watchers[id] == nil {
		return
	}
	l.frames[id] = f
	for w := range l.watchers[id] {
		select { // keep the newest frame only
		case <-w.frames:
		default:
		}
		w.frames <- f
	}
}
