package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/flags"
)

// Fleet is what the server needs of a fleet: flag snapshots, write
// freezes, calendars and the JSON API's reads. *herd.Fleet satisfies it.
type Fleet interface {
	APIReader
	// FlagSnapshot takes a snapshot of the flags, tenants and overrides.
	FlagSnapshot(ctx context.Context) (*flags.Snapshot, error)
	// WriteFreezes reads until when each tenant whose writes a shadow
	// migration froze is frozen, by code.
	WriteFreezes(ctx context.Context) (map[string]time.Time, error)
	// Generation reads the control database's change counter, which
	// moves with every change a snapshot depends on.
	Generation(ctx context.Context) (int64, error)
	// calendarSource is what the calendar routes read.
	calendarSource
	// MetricsSource is what /metrics reads.
	MetricsSource
}

var _ Fleet = (*herd.Fleet)(nil)

// DefaultRefreshEvery is how often the flag snapshot is taken again when
// Options.RefreshEvery is not set.
const DefaultRefreshEvery = 2 * time.Second

// Options are the server's optional settings; the zero value serves
// without tokens, on time.Now, logging nothing.
type Options struct {
	// Viewers are the tokens accepted for reads, Operators those accepted
	// for reads and the console's actions. With neither, everything is
	// open to anyone who can reach the server (herd serve then listens on
	// loopback only).
	Viewers, Operators []Token
	// SessionTTL is how long a browser's sign-in lasts; default
	// DefaultSessionTTL.
	SessionTTL time.Duration
	// LiveEvery is how often the one poller behind every live rollout
	// page reads the control database's change counter; default
	// DefaultLiveEvery.
	LiveEvery time.Duration
	// Now is the clock that ages snapshots; default time.Now.
	Now func() time.Time
	// Logger receives failures to take a snapshot; default discards.
	Logger *slog.Logger
	// RefreshEvery is how long a flag snapshot serves before it is taken
	// again from the control database; default DefaultRefreshEvery.
	RefreshEvery time.Duration
}

// Server is the server's handler, with the work it runs in the
// background: the emergency rollbacks started from the console. It is
// safe for concurrent use.
type Server struct {
	handler   http.Handler
	rollbacks *rollbacks
}

// ServeHTTP serves r.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Shutdown stops the emergency rollbacks running in the background from
// taking other tenants back, and waits until the tenants in flight are
// done and each rollback is recorded interrupted; no new one starts. It
// returns ctx's error, wrapped, when ctx ends first. Call it once the
// HTTP server has stopped taking requests.
func (s *Server) Shutdown(ctx context.Context) error { return s.rollbacks.shutdown(ctx) }

// New returns the server on fleet, with the console when fleet is a
// ConsoleFleet. Besides the emergency rollbacks it starts no goroutine
// of its own beyond a snapshot refresh while one is due and the live
// updates' poller while someone watches a rollout.
func New(fleet Fleet, opts Options) *Server {
	return newServer(fleet, opts, hooks{})
}

// hooks let a test drive the server's background work: the live
// poller's clock (nil: a ticker of Options.LiveEvery) and what each
// emergency rollback's tenant outcome is handed to (nil: nothing).
type hooks struct {
	ticks      func() (<-chan time.Time, func())
	rolledBack func(context.Context, herd.RolledBack)
}

// newServer is New with hooks.
func newServer(fleet Fleet, opts Options, h hooks) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.RefreshEvery <= 0 {
		opts.RefreshEvery = DefaultRefreshEvery
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = DefaultSessionTTL
	}
	if opts.LiveEvery <= 0 {
		opts.LiveEvery = DefaultLiveEvery
	}
	s := &server{
		snapshots: &snapshots{fleet: fleet, every: opts.RefreshEvery, now: opts.Now, log: opts.Logger},
		creds:     newCredentials(opts.Viewers, opts.Operators),
		sessions:  newSessions(opts.SessionTTL, opts.Now),
		signIns:   newSignInLimits(opts.Now),
		log:       opts.Logger,
	}
	mux := http.NewServeMux()
	rbs := newRollbacks(h.rolledBack, opts.Logger)
	if cf, ok := fleet.(ConsoleFleet); ok {
		s.mountConsole(mux, cf, opts.LiveEvery, rbs, h)
	}
	mux.Handle("POST /ofrep/v1/evaluate/flags/{key}", s.viewer(http.HandlerFunc(s.evaluateFlag)))
	mux.Handle("POST /ofrep/v1/evaluate/flags", s.viewer(http.HandlerFunc(s.evaluateFlags)))
	cal := calendars{fleet: fleet, log: opts.Logger}
	mux.Handle("GET /calendar/{file}", cal.keyOrViewer(s, http.HandlerFunc(cal.tenant)))
	mux.Handle("GET /calendar.ics", cal.keyOrViewer(s, http.HandlerFunc(cal.tier)))
	mux.HandleFunc("GET /healthz", s.healthz)
	apiRoutes(fleet, opts.Logger, func(pattern string, h http.Handler) { mux.Handle(pattern, s.viewer(h)) })
	mux.Handle("GET /metrics", s.viewer(newMetrics(fleet, opts.RefreshEvery, opts.Now, opts.Logger)))
	return &Server{handler: mux, rollbacks: rbs}
}

// server holds the handler's state.
type server struct {
	snapshots *snapshots
	creds     credentials
	sessions  *sessions
	signIns   *signInLimits
	log       *slog.Logger
}

// health is what /healthz answers.
type health struct {
	Status  string `json:"status"`
	Tenants int    `json:"tenants"`
	Flags   int    `json:"flags"`
}

func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	snap, err := s.snapshots.get(r.Context())
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, health{Status: "unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, health{Status: "ok", Tenants: snap.flags.Len(), Flags: snap.flags.FlagCount()})
}

// generalError is OFREP's generalErrorResponse.
type generalError struct {
	ErrorDetails string `json:"errorDetails"`
}

// writeJSON writes v as the response body with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil { // the response types always marshal
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeBody(w, status, body)
}

func writeBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body) //nolint:errcheck // the client went away; nothing to do
}
