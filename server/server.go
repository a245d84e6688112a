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
	// Calendar reads the upcoming upgrades of a tenant, a tier or the
	// fleet (the calendar routes).
	Calendar(ctx context.Context, req herd.CalendarRequest) (herd.Calendar, error)
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

// New returns the server's handler on fleet, with the console when fleet
// is a ConsoleFleet. The handler is safe for concurrent use; it starts no
// goroutine of its own beyond a snapshot refresh while one is due and the
// live updates' poller while someone watches a rollout, so it needs no
// closing.
func New(fleet Fleet, opts Options) http.Handler {
	return newHandler(fleet, opts, nil)
}

// newHandler is New with the live poller's clock: nil for a ticker of
// opts.LiveEvery.
func newHandler(fleet Fleet, opts Options, ticks func() (<-chan time.Time, func())) http.Handler {
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
		log:       opts.Logger,
	}
	mux := http.NewServeMux()
	if cf, ok := fleet.(ConsoleFleet); ok {
		s.mountConsole(mux, cf, opts.LiveEvery, ticks)
	}
	mux.Handle("POST /ofrep/v1/evaluate/flags/{key}", s.viewer(http.HandlerFunc(s.evaluateFlag)))
	mux.Handle("POST /ofrep/v1/evaluate/flags", s.viewer(http.HandlerFunc(s.evaluateFlags)))
	cal := calendars{fleet: fleet, log: opts.Logger}
	mux.Handle("GET /calendar/{file}", s.viewer(http.HandlerFunc(cal.tenant)))
	mux.Handle("GET /calendar.ics", s.viewer(http.HandlerFunc(cal.tier)))
	mux.HandleFunc("GET /healthz", s.healthz)
	apiRoutes(fleet, opts.Logger, func(pattern string, h http.Handler) { mux.Handle(pattern, s.viewer(h)) })
	mux.Handle("GET /metrics", s.viewer(newMetrics(fleet, opts.RefreshEvery, opts.Now, opts.Logger)))
	return mux
}

// server holds the handler's state.
type server struct {
	snapshots *snapshots
	creds     credentials
	sessions  *sessions
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
