package webhook

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/event"
)

// Defaults of Options.
const (
	DefaultQueueSize   = 1024
	DefaultMaxAttempts = 5
	// DefaultTimeout bounds one attempt when Options.Client is nil.
	DefaultTimeout = 10 * time.Second
)

// maxRetryAfter caps a receiver's Retry-After, so that one receiver
// cannot park its webhook's queue for hours.
const maxRetryAfter = 5 * time.Minute

// Options are a Sender's optional settings; the zero Options uses the
// defaults.
type Options struct {
	// Client makes the requests. Default: a client of the Sender's own,
	// with DefaultTimeout, that does not follow redirects (a redirected
	// POST would arrive as a GET without its body).
	Client *http.Client
	// Logger receives failed deliveries (warn), retries (debug) and full
	// queues (warn). Default: discard.
	Logger *slog.Logger
	// QueueSize is how many events wait for each webhook before new ones
	// are dropped. Default DefaultQueueSize.
	QueueSize int
	// MaxAttempts is how many times one delivery is tried before it
	// counts as failed. Default DefaultMaxAttempts.
	MaxAttempts int
	// Backoff returns the wait before retry attempt (1 after the first
	// failure, 2 after the second, …). A receiver's Retry-After replaces
	// it. Default: DefaultBackoff.
	Backoff func(attempt int) time.Duration
	// Now is the clock of the X-Herd-Timestamp header and of events sent
	// without a Time. Default time.Now.
	Now func() time.Time
	// CalendarURL returns the address of a tenant's upgrade calendar
	// (herd serve's /calendar/{tenant}.ics), which tenant.maintenance_planned
	// payloads then carry as "calendar"; "" or a nil CalendarURL adds none.
	CalendarURL func(tenant string) string
}

// DefaultBackoff is the default Options.Backoff: 200ms·2^(attempt-1),
// capped at 30s, of which a random half is taken off (so that webhooks
// retrying together spread out): between 100ms and 200ms before the
// second attempt, between 15s and 30s at the cap.
func DefaultBackoff(attempt int) time.Duration {
	const first, ceiling = 200 * time.Millisecond, 30 * time.Second
	d := ceiling
	if attempt < 1 {
		attempt = 1
	}
	if attempt <= 8 { // 200ms·2^8 is past the ceiling
		d = min(first<<(attempt-1), ceiling)
	}
	return d/2 + rand.N(d/2+1)
}

// Sender delivers events to the configured webhooks: signed, retried with
// backoff, never blocking the caller. Each webhook has its own queue and
// one worker, so a webhook receives events in the order they were sent,
// and a slow webhook delays no other.
//
// Send, Close, Dropped, Delivered and Failed are safe for concurrent use.
type Sender struct {
	hooks       []*hook
	client      *http.Client
	ownClient   bool // client was made by New, and Close closes its connections
	logger      *slog.Logger
	maxAttempts int
	backoff     func(int) time.Duration
	now         func() time.Time
	calendarURL func(string) string

	mu     sync.RWMutex // guards closed against Send racing Close
	closed bool

	// ctx is cancelled, and abort closed, when Close gives up: requests
	// in flight are cancelled and queued deliveries are dropped.
	ctx       context.Context
	cancel    context.CancelFunc
	abort     chan struct{}
	abortOnce sync.Once
	abortMu   sync.Mutex
	abortErr  error // Close's error once it gave up
	closeOnce sync.Once
	workers   sync.WaitGroup
	done      chan struct{} // closed when every worker has returned

	dropped, delivered, failed atomic.Int64
}

var _ event.Sink = (*Sender)(nil)

// hook is one webhook and its queue.
type hook struct {
	cfg   config.Webhook
	name  string // the URL as logs may show it
	queue chan delivery
	full  atomic.Bool // the queue was full at the last Send
}

// delivery is one event on its way to one webhook.
type delivery struct {
	id   string
	typ  event.Type
	body []byte
}

// New returns a Sender for hooks and starts one worker per hook. Call Close
// to stop the workers. With no hooks, the Sender drops nothing and sends
// nothing.
func New(hooks []config.Webhook, opts Options) *Sender {
	s := &Sender{
		client:      opts.Client,
		logger:      opts.Logger,
		maxAttempts: opts.MaxAttempts,
		backoff:     opts.Backoff,
		now:         opts.Now,
		calendarURL: opts.CalendarURL,
		abort:       make(chan struct{}),
		done:        make(chan struct{}),
	}
	if s.client == nil {
		s.ownClient = true
		s.client = &http.Client{
			Transport: http.DefaultTransport.(*http.Transport).Clone(),
			Timeout:   DefaultTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.maxAttempts <= 0 {
		s.maxAttempts = DefaultMaxAttempts
	}
	if s.backoff == nil {
		s.backoff = DefaultBackoff
	}
	if s.now == nil {
		s.now = time.Now
	}
	size := opts.QueueSize
	if size <= 0 {
		size = DefaultQueueSize
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	for _, cfg := range hooks {
		h := &hook{cfg: cfg, name: config.RedactURL(cfg.URL), queue: make(chan delivery, size)}
		s.hooks = append(s.hooks, h)
		s.workers.Add(1)
		go s.work(h)
	}
	return s
}

// Send queues e for every webhook subscribed to its type and returns at
// once. When a webhook's queue is full, or the Sender is closed, the event
// is dropped for that webhook and counted in Dropped; a warning is logged
// when a queue fills up, not for each event dropped. An event without a
// Time gets the Sender's clock's.
func (s *Sender) Send(e event.Event) {
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	var body []byte
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, h := range s.hooks {
		if !h.cfg.Wants(e.Type) {
			continue
		}
		if s.closed {
			s.dropped.Add(1)
			s.logger.Debug("webhook: sender closed, event dropped", "webhook", h.name, "event", e.Type)
			continue
		}
		if body == nil {
			var err error
			if body, err = json.Marshal(s.payload(e)); err != nil {
				s.logger.Error("webhook: encode event", "event", e.Type, "err", err)
				return
			}
		}
		select {
		case h.queue <- delivery{id: newID(), typ: e.Type, body: body}:
			if h.full.Swap(false) {
				s.logger.Info("webhook: queue has room again", "webhook", h.name, "dropped_total", s.dropped.Load())
			}
		default:
			s.dropped.Add(1)
			if !h.full.Swap(true) {
				s.logger.Warn("webhook: queue full, dropping events until it drains",
					"webhook", h.name, "queue_size", cap(h.queue), "event", e.Type, "tenant", e.Tenant)
			}
		}
	}
}

// payload is what a webhook receives of e: the event, and for a planned
// maintenance the tenant's calendar when Options.CalendarURL gives one.
func (s *Sender) payload(e event.Event) any {
	if e.Type != event.TenantMaintenancePlanned || s.calendarURL == nil || e.Tenant == "" {
		return e
	}
	if url := s.calendarURL(e.Tenant); url != "" {
		return maintenancePayload{Event: e, Calendar: url}
	}
	return e
}

// maintenancePayload is a planned maintenance with the address of the
// tenant's upgrade calendar.
type maintenancePayload struct {
	event.Event
	Calendar string `json:"calendar"`
}

// Close stops accepting events and waits until the queued deliveries are
// made (or have failed) or ctx ends. When ctx ends first, Close cancels
// the requests in flight, drops what is still queued (counted in Dropped),
// waits for the workers to return, and returns an error wrapping
// ctx.Err(). Calling Close again waits the same way, and returns that
// error if an earlier Close gave up.
func (s *Sender) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		for _, h := range s.hooks {
			close(h.queue)
		}
		s.mu.Unlock()
		go func() {
			s.workers.Wait()
			s.cancel()
			if s.ownClient {
				s.client.CloseIdleConnections()
			}
			close(s.done)
		}()
	})
	select {
	case <-s.done:
	default:
		select {
		case <-s.done:
		case <-ctx.Done():
			s.abortOnce.Do(func() {
				s.abortMu.Lock()
				s.abortErr = fmt.Errorf("webhook: close: undelivered events dropped: %w", ctx.Err())
				s.abortMu.Unlock()
				close(s.abort)
				s.cancel()
			})
			<-s.done
		}
	}
	s.abortMu.Lock()
	defer s.abortMu.Unlock()
	return s.abortErr
}

// Dropped returns how many deliveries were dropped: events that found a
// webhook's queue full or the Sender closed, and deliveries abandoned
// when Close's ctx ended.
func (s *Sender) Dropped() int64 { return s.dropped.Load() }

// Delivered returns how many deliveries a webhook answered with a 2xx.
func (s *Sender) Delivered() int64 { return s.delivered.Load() }

// Failed returns how many deliveries were given up: answered with a 4xx
// other than 429 (or a 3xx), or failing MaxAttempts times.
func (s *Sender) Failed() int64 { return s.failed.Load() }

// work delivers h's queue in order until the queue is closed and empty.
func (s *Sender) work(h *hook) {
	defer s.workers.Done()
	for d := range h.queue {
		select {
		case <-s.abort:
			s.dropped.Add(1)
			continue
		default:
		}
		s.deliver(h, d)
	}
}

// deliver makes up to maxAttempts attempts at d.
func (s *Sender) deliver(h *hook, d delivery) {
	for attempt := 1; ; attempt++ {
		wait, retry, err := s.attempt(h, d)
		if err == nil {
			s.delivered.Add(1)
			return
		}
		select {
		case <-s.abort:
			s.dropped.Add(1)
			return
		default:
		}
		if !retry || attempt >= s.maxAttempts {
			s.failed.Add(1)
			s.logger.Warn("webhook: delivery failed", "webhook", h.name, "event", d.typ,
				"delivery", d.id, "attempts", attempt, "err", err)
			return
		}
		if wait <= 0 {
			wait = s.backoff(attempt)
		}
		s.logger.Debug("webhook: delivery will be retried", "webhook", h.name, "event", d.typ,
			"delivery", d.id, "attempt", attempt, "wait", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-s.abort:
			t.Stop()
			s.dropped.Add(1)
			return
		}
	}
}

// attempt POSTs d to h once. It returns nil on a 2xx; otherwise whether a
// retry may succeed (network errors, 429 and 5xx) and the receiver's
// Retry-After, if any. Errors never show the URL, which may hold a token.
func (s *Sender) attempt(h *hook, d delivery) (wait time.Duration, retry bool, err error) {
	ts := s.now().Unix()
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, h.cfg.URL, bytes.NewReader(d.body))
	if err != nil {
		return 0, false, errors.New("invalid webhook URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "herd-webhook")
	req.Header.Set(HeaderEvent, string(d.typ))
	req.Header.Set(HeaderDelivery, d.id)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(h.cfg.Secret, ts, d.body))
	resp, err := s.client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // url.Error quotes the URL
		}
		return 0, true, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	_ = resp.Body.Close()
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return 0, false, nil
	case code == http.StatusTooManyRequests || code >= 500:
		return retryAfter(resp.Header.Get("Retry-After"), s.now()), true, fmt.Errorf("receiver answered %s", resp.Status)
	case code >= 300 && code < 400:
		return 0, false, fmt.Errorf("receiver answered %s: webhooks do not follow redirects", resp.Status)
	default:
		return 0, false, fmt.Errorf("receiver answered %s", resp.Status)
	}
}

// retryAfter parses a Retry-After header, seconds or an HTTP date, into a
// wait capped at maxRetryAfter; 0 when it is absent or invalid.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		d = time.Duration(min(secs, int64(maxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return max(0, min(d, maxRetryAfter))
}

// newID returns a random delivery id: 32 hex digits.
func newID() string {
	var b [16]byte
	_, _ = crand.Read(b[:]) // never fails
	return hex.EncodeToString(b[:])
}
