package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/webhook"
)

const secret = "test-secret"

// request is one request a receiver got.
type request struct {
	header http.Header
	body   []byte
}

// receiver is a loopback webhook receiver that records requests and
// answers with what answer returns for the nth request (0-based).
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	requests []request
}

func newReceiver(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		n := len(rc.requests)
		rc.requests = append(rc.requests, request{header: r.Header.Clone(), body: body})
		rc.mu.Unlock()
		if answer != nil {
			answer(n, w, r)
		}
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) got() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.requests...)
}

// unique returns the requests without repeated deliveries, as a receiver
// that drops seen X-Herd-Delivery ids would: delivery is at least once,
// and a retry after a lost answer repeats a delivery.
func (rc *receiver) unique() []request {
	seen := map[string]bool{}
	var out []request
	for _, r := range rc.got() {
		if id := r.header.Get(webhook.HeaderDelivery); !seen[id] {
			seen[id] = true
			out = append(out, r)
		}
	}
	return out
}

// events returns the events of the unique deliveries.
func (rc *receiver) events(t *testing.T) []event.Event {
	t.Helper()
	var out []event.Event
	for _, r := range rc.unique() {
		var e event.Event
		require.NoError(t, json.Unmarshal(r.body, &e))
		out = append(out, e)
	}
	return out
}

// fast is a Backoff for tests.
func fast(int) time.Duration { return time.Millisecond }

// closeSender closes s with a bounded wait and requires success.
func closeSender(t *testing.T, s *webhook.Sender) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, s.Close(ctx))
}

func hook(url string, events ...event.Type) config.Webhook {
	w := config.Webhook{URL: url, Secret: secret}
	for _, e := range events {
		w.Events = append(w.Events, string(e))
	}
	return w
}

func TestDeliveryIsSigned(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, nil)
	clock := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	s := webhook.New([]config.Webhook{hook(rc.URL)}, webhook.Options{Logger: herdtest.Logger(t), Now: func() time.Time { return clock }})
	sent := []event.Event{
		{Type: event.TenantFailed, Time: clock, Rollout: 7, Wave: "canary", Tenant: "demo_trust", From: "1.1.0", To: "2.0.0", Reason: "boom"},
		{Type: event.RolloutHalted, Rollout: 7, Reason: "failure budget exceeded"},
	}
	for _, e := range sent {
		s.Send(e)
	}
	closeSender(t, s)

	got := rc.unique()
	require.Len(t, got, 2)
	sent[1].Time = clock // filled from the clock
	require.Equal(t, sent, rc.events(t))
	for i, r := range got {
		require.Equal(t, "application/json", r.header.Get("Content-Type"))
		require.Equal(t, string(sent[i].Type), r.header.Get(webhook.HeaderEvent))
		require.Equal(t, "1748772000", r.header.Get(webhook.HeaderTimestamp))
		require.Regexp(t, `^[0-9a-f]{32}$`, r.header.Get(webhook.HeaderDelivery))
		require.Equal(t, webhook.Sign(secret, clock.Unix(), r.body), r.header.Get(webhook.HeaderSignature))
		require.Regexp(t, `^sha256=[0-9a-f]{64}$`, r.header.Get(webhook.HeaderSignature))
		require.NoError(t, webhook.Verify(secret, r.header, r.body, time.Minute, clock.Add(30*time.Second)))
	}
	require.NotEqual(t, got[0].header.Get(webhook.HeaderDelivery), got[1].header.Get(webhook.HeaderDelivery))
	require.EqualValues(t, 2, s.Delivered())
	require.Zero(t, s.Dropped())
	require.Zero(t, s.Failed())
}

func TestSign(t *testing.T) {
	t.Parallel()
	// Computed independently:
	//   printf '1700000000.{}' | openssl dgst -sha256 -hmac key
	require.Equal(t, "sha256=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae",
		webhook.Sign("key", 1700000000, []byte("{}")))
}

func TestVerify(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"type":"tenant.done"}`)
	header := func(ts int64, sig string) http.Header {
		h := http.Header{}
		if ts != 0 {
			h.Set(webhook.HeaderTimestamp, fmt.Sprint(ts))
		}
		if sig != "" {
			h.Set(webhook.HeaderSignature, sig)
		}
		return h
	}
	good := webhook.Sign(secret, now.Unix(), body)
	tests := []struct {
		name   string
		secret string
		header http.Header
		body   []byte
		maxAge time.Duration
		err    string
	}{
		{"genuine", secret, header(now.Unix(), good), body, time.Minute, ""},
		{"genuine, age not checked", secret, header(now.Unix()-86400, webhook.Sign(secret, now.Unix()-86400, body)), body, 0, ""},
		{"upper-case hex", secret, header(now.Unix(), "sha256="+fmt.Sprintf("%X", mustHex(t, good[7:]))), body, time.Minute, ""},
		{"wrong secret", "other", header(now.Unix(), good), body, time.Minute, "webhook: verify: signature does not match"},
		{"tampered body", secret, header(now.Unix(), good), []byte(`{"type":"tenant.failed"}`), time.Minute, "webhook: verify: signature does not match"},
		{"timestamp changed", secret, header(now.Unix()+1, good), body, time.Minute, "webhook: verify: signature does not match"},
		{"too old", secret, header(now.Unix()-600, webhook.Sign(secret, now.Unix()-600, body)), body, 5 * time.Minute,
			"webhook: verify: delivery is 10m0s old, more than 5m0s"},
		{"from the future", secret, header(now.Unix()+600, webhook.Sign(secret, now.Unix()+600, body)), body, 5 * time.Minute,
			"webhook: verify: delivery is 10m0s in the future, more than 5m0s"},
		{"no timestamp", secret, header(0, good), body, time.Minute, "webhook: verify: no X-Herd-Timestamp header"},
		{"no signature", secret, header(now.Unix(), ""), body, time.Minute, "webhook: verify: no X-Herd-Signature header"},
		{"bad timestamp", secret, http.Header{webhook.HeaderTimestamp: {"soon"}, webhook.HeaderSignature: {good}}, body, time.Minute,
			`webhook: verify: X-Herd-Timestamp header "soon" is not a Unix time in seconds`},
		{"other algorithm", secret, header(now.Unix(), "sha1="+good[7:]), body, time.Minute, "webhook: verify: X-Herd-Signature header is not sha256=<hex>"},
		{"not hex", secret, header(now.Unix(), "sha256=zz"), body, time.Minute, "webhook: verify: X-Herd-Signature header is not sha256=<hex>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := webhook.Verify(tt.secret, tt.header, tt.body, tt.maxAge, now)
			if tt.err == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tt.err)
			require.NotContains(t, err.Error(), secret)
		})
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	var b []byte
	_, err := fmt.Sscanf(s, "%x", &b)
	require.NoError(t, err)
	return b
}

func TestRetriesAfterServerErrors(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		switch n {
		case 0:
			w.WriteHeader(http.StatusInternalServerError)
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	var attempts []int
	var mu sync.Mutex
	s := webhook.New([]config.Webhook{hook(rc.URL)}, webhook.Options{Logger: herdtest.Logger(t), Backoff: func(a int) time.Duration {
		mu.Lock()
		attempts = append(attempts, a)
		mu.Unlock()
		return time.Millisecond
	}})
	s.Send(event.Event{Type: event.TenantDone, Tenant: "a"})
	closeSender(t, s)

	got := rc.got()
	require.Len(t, got, 3)
	id := got[0].header.Get(webhook.HeaderDelivery)
	for _, r := range got {
		require.Equal(t, id, r.header.Get(webhook.HeaderDelivery), "a retry keeps the delivery id")
		require.NoError(t, webhook.Verify(secret, r.header, r.body, time.Minute, time.Now()))
	}
	require.Equal(t, []int{1, 2}, attempts)
	require.EqualValues(t, 1, s.Delivered())
	require.Zero(t, s.Failed())
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var at []time.Time
	rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		at = append(at, time.Now())
		mu.Unlock()
		if n == 0 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	})
	s := webhook.New([]config.Webhook{hook(rc.URL)}, webhook.Options{Logger: herdtest.Logger(t), Backoff: fast})
	s.Send(event.Event{Type: event.TenantDone})
	closeSender(t, s)
	require.Len(t, rc.got(), 2)
	require.GreaterOrEqual(t, at[1].Sub(at[0]), 900*time.Millisecond, "waited for Retry-After, not the 1ms backoff")
	require.EqualValues(t, 1, s.Delivered())
}

func TestClientErrorsAreNotRetried(t *testing.T) {
	t.Parallel()
	for _, code := range []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusMovedPermanently} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
				if code == http.StatusMovedPermanently {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(code)
			})
			s := webhook.New([]config.Webhook{hook(rc.URL)}, webhook.Options{Logger: herdtest.Logger(t), Backoff: fast})
			s.Send(event.Event{Type: event.TenantDone})
			s.Send(event.Event{Type: event.TenantFailed})
			closeSender(t, s)
			require.Len(t, rc.got(), 2, "one attempt per event")
			require.EqualValues(t, 2, s.Failed())
			require.Zero(t, s.Delivered())
		})
	}
}

func TestNetworkErrorsAreRetried(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "http://" + ln.Addr().String() + "/herd"
	require.NoError(t, ln.Close()) // nothing listens: connection refused

	var mu sync.Mutex
	tries := 0
	s := webhook.New([]config.Webhook{hook(url)}, webhook.Options{Logger: herdtest.Logger(t), MaxAttempts: 3, Backoff: func(int) time.Duration {
		mu.Lock()
		tries++
		mu.Unlock()
		return time.Millisecond
	}})
	s.Send(event.Event{Type: event.TenantDone})
	closeSender(t, s)
	require.EqualValues(t, 1, s.Failed())
	require.Equal(t, 2, tries, "three attempts, two waits")
}

func TestEventsFilter(t *testing.T) {
	t.Parallel()
	all := newReceiver(t, nil)
	failures := newReceiver(t, nil)
	s := webhook.New([]config.Webhook{
		hook(all.URL),
		hook(failures.URL, event.TenantFailed, event.RolloutHalted),
	}, webhook.Options{Logger: herdtest.Logger(t), Backoff: fast})
	for _, typ := range []event.Type{event.RolloutStarted, event.TenantStarted, event.TenantFailed, event.TenantDone, event.RolloutHalted} {
		s.Send(event.Event{Type: typ})
	}
	closeSender(t, s)
	types := func(rc *receiver) []event.Type {
		var out []event.Type
		for _, e := range rc.events(t) {
			out = append(out, e.Type)
		}
		return out
	}
	require.Equal(t, []event.Type{event.RolloutStarted, event.TenantStarted, event.TenantFailed, event.TenantDone, event.RolloutHalted}, types(all))
	require.Equal(t, []event.Type{event.TenantFailed, event.RolloutHalted}, types(failures))
	require.EqualValues(t, 7, s.Delivered())
}

func TestCloseFlushesInOrder(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n%10 == 3 {
			w.WriteHeader(http.StatusBadGateway) // retried: order must hold anyway
		}
	})
	s := webhook.New([]config.Webhook{hook(rc.URL)}, webhook.Options{Logger: herdtest.Logger(t), Backoff: fast})
	const n = 200
	for i := range n {
		s.Send(event.Event{Type: event.TenantDone, Tenant: fmt.Sprintf("t%03d", i)})
	}
	closeSender(t, s)
	closeSender(t, s) // a second Close is harmless
	var order []string
	for _, e := range rc.events(t) {
		order = append(order, e.Tenant)
	}
	require.Greater(t, len(rc.got()), n, "some deliveries were retried")
	require.Len(t, order, n)
	for i, code := range order {
		require.Equal(t, fmt.Sprintf("t%03d", i), code)
	}
	require.EqualValues(t, n, s.Delivered())

	s.Send(event.Event{Type: event.TenantDone})
	require.EqualValues(t, 1, s.Dropped(), "a closed sender drops")
}

func TestSlowReceiverNeverBlocksSend(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	rc := newReceiver(t, func(_ int, _ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	fastRC := newReceiver(t, nil)
	const queue = 8
	s := webhook.New([]config.Webhook{hook(rc.URL), hook(fastRC.URL, event.RolloutCompleted)},
		webhook.Options{Logger: herdtest.Logger(t), QueueSize: queue, Backoff: fast})

	const n = 10_000
	start := time.Now()
	var slowest time.Duration
	for i := range n {
		t0 := time.Now()
		s.Send(event.Event{Type: event.TenantDone, Tenant: fmt.Sprint(i)})
		slowest = max(slowest, time.Since(t0))
	}
	s.Send(event.Event{Type: event.RolloutCompleted})
	elapsed := time.Since(start)
	t.Logf("%d sends in %s, slowest %s", n, elapsed, slowest)
	require.Less(t, elapsed, 5*time.Second, "Send must not wait for the receiver")
	require.Less(t, slowest, time.Second)

	// The queue holds 8; the worker may hold one more, in flight.
	dropped := s.Dropped()
	require.GreaterOrEqual(t, dropped, int64(n-queue-1))
	require.LessOrEqual(t, dropped, int64(n-queue))

	// The other webhook is not held back by the slow one.
	require.Eventually(t, func() bool { return len(fastRC.got()) == 1 }, 5*time.Second, 5*time.Millisecond)

	close(release)
	closeSender(t, s)
	// n+1 events to the slow webhook, one to the other.
	require.EqualValues(t, n+2, s.Delivered()+s.Dropped())
	require.Len(t, rc.unique(), n+1-int(s.Dropped()))
	require.Zero(t, s.Failed())
}

func TestCloseGivesUpWhenContextEnds(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	defer close(release)
	rc := newReceiver(t, func(_ int, _ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	s := webhook.New([]config.Webhook{hook(rc.URL)}, webhook.Options{Logger: herdtest.Logger(t), Backoff: fast})
	for range 5 {
		s.Send(event.Event{Type: event.TenantDone})
	}
	require.Eventually(t, func() bool { return len(rc.got()) == 1 }, 5*time.Second, 5*time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := s.Close(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 5*time.Second, "Close returns soon after ctx ends")
	require.EqualValues(t, 5, s.Dropped(), "the one in flight and the four queued")
	require.Zero(t, s.Delivered())

	// Closing again reports the same.
	require.ErrorIs(t, s.Close(ctx), context.DeadlineExceeded)
}

func TestCloseInterruptsBackoff(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	})
	s := webhook.New([]config.Webhook{hook(rc.URL)}, webhook.Options{Logger: herdtest.Logger(t), Backoff: func(int) time.Duration { return time.Hour }})
	s.Send(event.Event{Type: event.TenantDone})
	require.Eventually(t, func() bool { return len(rc.got()) == 1 }, 5*time.Second, 5*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, s.Close(ctx), context.DeadlineExceeded)
	require.EqualValues(t, 1, s.Dropped())
}

func TestNoHooks(t *testing.T) {
	t.Parallel()
	s := webhook.New(nil, webhook.Options{Logger: herdtest.Logger(t)})
	s.Send(event.Event{Type: event.TenantDone})
	closeSender(t, s)
	require.Zero(t, s.Dropped())
}

func TestSendIsSafeForConcurrentUse(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, nil)
	s := webhook.New([]config.Webhook{hook(rc.URL)}, webhook.Options{Logger: herdtest.Logger(t), Backoff: fast, QueueSize: 10_000})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				s.Send(event.Event{Type: event.TenantDone, Tenant: fmt.Sprintf("g%d_%d", g, i)})
			}
		})
	}
	// Close races the senders: every event is delivered or dropped.
	wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		assertNoError(t, s.Close(ctx))
	})
	wg.Wait()
	require.EqualValues(t, 400, s.Delivered()+s.Dropped())
	require.Len(t, rc.unique(), int(s.Delivered()))
}

func assertNoError(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Error(err)
	}
}

// A planned maintenance links the tenant's upgrade calendar when the
// Sender knows where calendars are; other events, and a Sender that does
// not know, send the event alone.
func TestMaintenanceLinksTheCalendar(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 28, 1, 0, 0, 0, time.UTC)
	planned := event.Event{Type: event.TenantMaintenancePlanned, Time: at, Rollout: 3, Wave: "gold", Tenant: "gold_07", At: &at}
	failed := event.Event{Type: event.TenantFailed, Time: at, Rollout: 3, Tenant: "gold_07"}
	for _, tc := range []struct {
		name     string
		calendar func(string) string
		want     []string // each body's calendar
	}{
		{"with a public URL", config.Serve{PublicURL: "https://herd.example.com"}.CalendarURL,
			[]string{"https://herd.example.com/calendar/gold_07.ics", ""}},
		{"without", config.Serve{}.CalendarURL, []string{"", ""}},
		{"no function", nil, []string{"", ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t, nil)
			s := webhook.New([]config.Webhook{hook(rc.URL)}, webhook.Options{Logger: herdtest.Logger(t), CalendarURL: tc.calendar})
			s.Send(planned)
			s.Send(failed)
			closeSender(t, s)
			got := rc.unique()
			require.Len(t, got, 2)
			for i, r := range got {
				var body map[string]any
				require.NoError(t, json.Unmarshal(r.body, &body))
				if tc.want[i] == "" {
					require.NotContains(t, body, "calendar")
				} else {
					require.Equal(t, tc.want[i], body["calendar"])
				}
			}
			require.Equal(t, []event.Event{planned, failed}, rc.events(t), "the event's own fields are as before")
		})
	}
}
