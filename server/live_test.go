package server_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/server"
)

// readsFleet is a real fleet that counts the reads live updates make of
// its control database.
type readsFleet struct {
	*herd.Fleet
	generations, rollouts atomic.Int64
}

func (f *readsFleet) Generation(ctx context.Context) (int64, error) {
	f.generations.Add(1)
	return f.Fleet.Generation(ctx)
}

func (f *readsFleet) WatchRollout(ctx context.Context, id int64) (herd.RolloutWatch, error) {
	f.rollouts.Add(1)
	return f.Fleet.WatchRollout(ctx, id)
}

// stream is one viewer's server-sent event stream: each progress event's
// data arrives on frames.
type stream struct {
	frames chan string
}

// watch opens the event stream of path with token and returns once the
// server is streaming to it.
func watch(t *testing.T, base, path, token string) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	lines := bufio.NewScanner(resp.Body)
	require.True(t, lines.Scan())
	require.Equal(t, "retry: 3000", lines.Text(), "the stream opens")
	s := &stream{frames: make(chan string, 16)}
	go func() {
		defer resp.Body.Close()
		var data []string
		for lines.Scan() {
			line := lines.Text()
			switch {
			case strings.HasPrefix(line, "data: "):
				data = append(data, strings.TrimPrefix(line, "data: "))
			case line == "" && data != nil:
				s.frames <- strings.Join(data, "\n")
				data = nil
			}
		}
	}()
	return s
}

// next waits for the stream's next frame.
func (s *stream) next(t *testing.T) string {
	t.Helper()
	select {
	case f := <-s.frames:
		return f
	case <-time.After(30 * time.Second):
		t.Fatal("no frame within 30s")
		return ""
	}
}

// Fifty viewers of a running rollout cost the control database what one
// does: each tick of the shared poller reads the change counter once, and
// the rollout once more only when the counter moved; opening a stream
// reads nothing. Every viewer gets each change, operators with the
// actions and viewers without. The poller ticks every second in herd
// serve, so fifty viewers add at most one read of the counter and one of
// the rollout per second.
func TestLiveViewers(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := startedRollout(t, e)
		fleet := &readsFleet{Fleet: b.fleet}
		ticks := make(chan time.Time)
		srv := httptest.NewServer(server.NewTicked(fleet, consoleOptions, ticks))
		t.Cleanup(srv.Close)

		const viewers = 50
		streams := make([]*stream, viewers)
		for i := range streams {
			token := vera.Secret
			if i%2 == 0 {
				token = otto.Secret
			}
			streams[i] = watch(t, srv.URL, rolloutPath(b.rollout)+"/events", token)
		}
		require.Zero(t, fleet.generations.Load()+fleet.rollouts.Load(), "opening streams reads nothing")

		everyone := func(want string) {
			t.Helper()
			for i, s := range streams {
				f := s.next(t)
				require.Contains(t, f, want, "viewer %d", i)
				if i%2 == 0 {
					require.Contains(t, f, `href="/rollouts/`, "an operator's frame has the actions")
				} else {
					require.NotContains(t, f, `id="action-`, "a viewer's frame has none")
				}
			}
		}
		ticks <- time.Now() // the first frame
		everyone(`<dd id="count-pending">3</dd>`)
		ticks <- time.Now() // nothing changed: the counter alone is read
		require.Eventually(t, func() bool { return fleet.generations.Load() == 2 }, 30*time.Second, time.Millisecond,
			"the second tick reads the counter before the pause moves it")
		_, err := b.fleet.SteerRollout(t.Context(), "test", b.rollout, herd.PauseRollout)
		require.NoError(t, err)
		ticks <- time.Now()        // the pause moved the counter
		everyone(`state s-paused`) // the third tick's reads are done: its frame came of them

		require.Equal(t, int64(3), fleet.generations.Load(), "one read of the counter per tick, for %d viewers", viewers)
		require.Equal(t, int64(2), fleet.rollouts.Load(), "one read of the rollout per change, for %d viewers", viewers)
		t.Logf("%d viewers, 3 ticks: %d counter reads, %d rollout reads", viewers, fleet.generations.Load(), fleet.rollouts.Load())
	})
}
