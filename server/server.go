package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
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
	// Tokens are the bearer tokens accepted for reads (viewer tokens).
	// None means that reads are open to anyone who can reach the server.
	Tokens []string
	// Now is the clock that ages snapshots; default time.Now.
	Now func() time.Time
	// Logger receives failures to take a snapshot; default discards.
	Logger *slog.Logger
	// RefreshEvery is how long a flag snapshot serves before it is taken
	// again from the control database; default DefaultRefreshEvery.
	RefreshEvery time.Duration
}

// New returns the server's handler on fleet. The handler is safe for
// concurrent use; it starts no goroutine of its own beyond a snapshot
// refresh while one is due, so it needs no closing.
func New(fleet Fleet, opts Options) http.Handler {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.RefreshEvery <= 0 {
		opts.RefreshEvery = DefaultRefreshEvery
	}
	s := &server{
		snapshots: &snapshots{fleet: fleet, every: opts.RefreshEvery, now: opts.Now, log: opts.Logger},
		log:       opts.Logger,
	}
	for _, t := range opts.Tokens {
		if t = strings.TrimSpace(t); t != "" {
			s.tokens = append(s.tokens, []byte(t))
		}
	}
	mux := http.NewServeMux()
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
	tokens    [][]byte
	log       *slog.Logger
}

// viewer lets a request through when no tokens are configured or it
// carries one of them, and answers 401 otherwise, saying whether the
// token was missing, sent in a scheme herd does not take, or not one of
// the viewer tokens (RFC 6750's invalid_token).
func (s *server) viewer(next http.Handler) http.Handler {
	if len(s.tokens) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		problem := s.check(r)
		if problem == tokenOK {
			next.ServeHTTP(w, r)
			return
		}
		challenge := `Bearer realm="herd"`
		if problem == tokenWrong {
			challenge += `, error="invalid_token"`
		}
		w.Header().Set("WWW-Authenticate", challenge)
		writeJSON(w, http.StatusUnauthorized, generalError{ErrorDetails: string(problem)})
	})
}

// tokenProblem is what is wrong with a request's token, as told to the
// client; tokenOK when nothing is.
type tokenProblem string

const (
	tokenOK      tokenProblem = ""
	tokenMissing tokenProblem = "a viewer token is required: send Authorization: Bearer TOKEN or X-API-Key: TOKEN"
	tokenScheme  tokenProblem = "the Authorization header must be Bearer TOKEN"
	tokenWrong   tokenProblem = "the token sent is not a viewer token of this server"
)

func (s *server) check(r *http.Request) tokenProblem {
	given := r.Header.Get("X-API-Key")
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, token, ok := strings.Cut(auth, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return tokenScheme
		}
		given = strings.TrimSpace(token)
	}
	if given == "" {
		return tokenMissing
	}
	ok := 0
	for _, t := range s.tokens {
		ok |= subtle.ConstantTimeCompare([]byte(given), t) // every token compared, whichever matches
	}
	if ok != 1 {
		return tokenWrong
	}
	return tokenOK
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
