package schedule_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/schedule"
)

// job is a test job on a server that takes a moment.
type job struct {
	name, server string
}

// watch runs jobs on a Pool with limits and reports the most that ran at
// once overall and on one server, and the order they started in.
type watch struct {
	mu        sync.Mutex
	running   map[string]int
	total     int
	maxServer int
	maxTotal  int
	started   []string
}

func (w *watch) work(_ context.Context, j job) {
	w.mu.Lock()
	w.running[j.server]++
	w.total++
	w.maxServer = max(w.maxServer, w.running[j.server])
	w.maxTotal = max(w.maxTotal, w.total)
	w.started = append(w.started, j.name)
	w.mu.Unlock()
	time.Sleep(5 * time.Millisecond)
	w.mu.Lock()
	w.running[j.server]--
	w.total--
	w.mu.Unlock()
}

func jobs(servers ...string) []job {
	var out []job
	for i, s := range servers {
		out = append(out, job{name: fmt.Sprintf("j%d", i), server: s})
	}
	return out
}

func TestPoolLimits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                  string
		limits                schedule.Limits
		servers               []string
		wantServer, wantTotal int
		wantOrder             []string // nil: any
		wantLast              string   // "": any; for jobs that start together, whose order is not fixed
	}{
		{name: "one at a time", limits: schedule.Limits{Concurrency: 1}, servers: []string{"a", "b", "a"},
			wantServer: 1, wantTotal: 1, wantOrder: []string{"j0", "j1", "j2"}},
		{name: "concurrency caps the total", limits: schedule.Limits{Concurrency: 3}, servers: []string{"a", "a", "a", "a", "a", "a"},
			wantServer: 3, wantTotal: 3},
		{name: "per server caps each server", limits: schedule.Limits{Concurrency: 4, PerServer: 1},
			servers: []string{"a", "a", "a", "b", "b", "b"}, wantServer: 1, wantTotal: 2},
		{name: "a full server does not hold up the others", limits: schedule.Limits{Concurrency: 2, PerServer: 1},
			servers: []string{"a", "a", "b"}, wantServer: 1, wantTotal: 2, wantLast: "j1"},
		{name: "zero limits run one at a time", servers: []string{"a", "b"}, wantServer: 1, wantTotal: 1,
			wantOrder: []string{"j0", "j1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := &watch{running: map[string]int{}}
			var done []string
			p := schedule.Pool[job]{Limits: tc.limits, Server: func(j job) string { return j.server }, Work: w.work,
				Done: func(j job) { done = append(done, j.name) }}
			left := p.Run(context.Background(), jobs(tc.servers...))
			require.Empty(t, left)
			require.Len(t, done, len(tc.servers), "Done hears of every job")
			require.Equal(t, tc.wantServer, w.maxServer, "most on one server")
			require.Equal(t, tc.wantTotal, w.maxTotal, "most at once")
			if tc.wantOrder != nil {
				require.Equal(t, tc.wantOrder, w.started)
			}
			if tc.wantLast != "" {
				require.Equal(t, tc.wantLast, w.started[len(w.started)-1], "started last, in %v", w.started)
			}
		})
	}
}

// A gate that says no, or a graceful stop, starts no other job: those
// running finish and the rest come back in order.
func TestPoolStops(t *testing.T) {
	t.Parallel()
	t.Run("gate", func(t *testing.T) {
		t.Parallel()
		w := &watch{running: map[string]int{}}
		failed := false
		p := schedule.Pool[job]{Limits: schedule.Limits{Concurrency: 1}, Work: w.work,
			Gate: func(job) bool { return !failed },
			Done: func(j job) { failed = failed || j.name == "j1" }}
		left := p.Run(context.Background(), jobs("a", "a", "a", "a"))
		require.Equal(t, []string{"j0", "j1"}, w.started)
		require.Equal(t, jobs("a", "a", "a", "a")[2:], left)
	})
	t.Run("graceful stop", func(t *testing.T) {
		t.Parallel()
		ctx, stop := schedule.WithStop(context.Background())
		require.False(t, schedule.Stopping(ctx))
		w := &watch{running: map[string]int{}}
		var cancelled atomic.Bool
		p := schedule.Pool[job]{Limits: schedule.Limits{Concurrency: 2}, Work: func(ctx context.Context, j job) {
			stop()
			w.work(ctx, j)
			cancelled.Store(cancelled.Load() || ctx.Err() != nil)
		}}
		left := p.Run(ctx, jobs("a", "a", "a", "a", "a"))
		require.True(t, schedule.Stopping(ctx))
		require.False(t, cancelled.Load(), "a graceful stop does not cancel the jobs in flight")
		require.NotEmpty(t, w.started)
		// Every job asks for the stop as it starts, so none starts after
		// the first two workers' jobs.
		require.LessOrEqual(t, len(w.started), 2)
		require.Len(t, left, 5-len(w.started))
	})
	t.Run("no stop carried", func(t *testing.T) {
		t.Parallel()
		require.False(t, schedule.Stopping(context.Background()))
		require.Nil(t, schedule.Stopped(context.Background()))
	})
}

// Large jobs run at most Limits.Large at once, beside the others: a
// large job waiting for its class does not hold up the small ones after
// it.
func TestPoolCapsLargeJobs(t *testing.T) {
	t.Parallel()
	large := map[string]bool{"j0": true, "j1": true, "j2": true}
	var (
		mu                  sync.Mutex
		running, maxRunning int
		big, maxBig         int
		started             []string
	)
	p := schedule.Pool[job]{Limits: schedule.Limits{Concurrency: 3, Large: 1},
		Large: func(j job) bool { return large[j.name] },
		Work: func(_ context.Context, j job) {
			mu.Lock()
			running++
			maxRunning = max(maxRunning, running)
			if large[j.name] {
				big++
				maxBig = max(maxBig, big)
			}
			started = append(started, j.name)
			mu.Unlock()
			time.Sleep(20 * time.Millisecond)
			mu.Lock()
			running--
			if large[j.name] {
				big--
			}
			mu.Unlock()
		}}
	left := p.Run(context.Background(), jobs("a", "a", "a", "a", "a", "a"))
	require.Empty(t, left)
	require.Equal(t, 1, maxBig, "one large job at a time")
	require.Equal(t, 3, maxRunning, "small jobs run beside it")
	require.ElementsMatch(t, []string{"j0", "j3", "j4"}, started[:3], "the large jobs after the first wait, the small ones do not")
}
