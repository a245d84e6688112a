package server

// The JSON API, /api/v1: read-only views of the fleet for scripts and the
// console, every list a page of at most herd.MaxPageLimit rows with an
// opaque "next" cursor. A request with a query parameter the route does
// not take, or a bad value, is answered 400 with
//
//	{"error": "parameter status: \"done\": want one of pending, running, completed, failed", "parameter": "status"}
//
// an unknown tenant or rollout 404 with {"error": "..."}, and a failure
// to read the control database 500 with {"error": "..."} (its cause is
// logged, not sent). See docs/api.md.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
)

// APIReader is what the JSON API reads of a fleet; each method is
// herd.Fleet's of that name, which says what it returns on failure.
// *herd.Fleet satisfies it.
type APIReader interface {
	// Overview counts the tenants by version, status and server.
	Overview(ctx context.Context) (herd.Overview, error)
	// TenantPage returns a page of the tenants q selects.
	TenantPage(ctx context.Context, q herd.TenantQuery) (herd.TenantPage, error)
	// TenantRecord returns a tenant with pages of its history and
	// rollout items.
	TenantRecord(ctx context.Context, code string, q herd.TenantRecordQuery) (herd.TenantRecord, error)
	// Releases returns the release matrix with the tenants on each.
	Releases(ctx context.Context) (herd.ReleaseCounts, error)
	// RolloutList returns a page of the rollouts q selects.
	RolloutList(ctx context.Context, q herd.RolloutQuery) (herd.RolloutList, error)
	// RolloutProgress returns a rollout with its counts per state and
	// wave.
	RolloutProgress(ctx context.Context, id int64) (herd.RolloutProgress, error)
	// RolloutItems returns a page of a rollout's tenants.
	RolloutItems(ctx context.Context, id int64, q herd.ItemQuery) (herd.ItemPage, error)
	// AuditLog returns a page of the audit log's entries.
	AuditLog(ctx context.Context, q herd.AuditQuery) (herd.AuditPage, error)
}

var _ APIReader = (*herd.Fleet)(nil)

// apiError is the body of every answer of the API but a success.
type apiError struct {
	Error string `json:"error"`
	// Parameter names the query or path parameter at fault, for a 400.
	Parameter string `json:"parameter,omitempty"`
}

// releases is what /api/v1/releases answers: the rows of herd releases
// --json, and the tenants on no release.
type releases struct {
	Releases   []herd.ReleaseRow `json:"releases"`
	Unreleased int               `json:"unreleased"`
}

// apiRoutes hands each route of the API, with its handler, to handle,
// which registers it behind the server's authentication.
func apiRoutes(api APIReader, log *slog.Logger, handle func(pattern string, h http.Handler)) {
	get := func(path string, params []string, read func(r *http.Request, q query) (any, error)) {
		handle("GET "+path, apiHandler(log, params, read))
	}
	pageParams := []string{"cursor", "limit"}
	get("/api/v1/fleet", nil, func(r *http.Request, _ query) (any, error) {
		return api.Overview(r.Context())
	})
	get("/api/v1/tenants", append([]string{"version", "status", "tier", "server", "tag", "release", "q"}, pageParams...),
		func(r *http.Request, q query) (any, error) {
			return api.TenantPage(r.Context(), herd.TenantQuery{Version: q.get("version"), Status: q.get("status"),
				Tier: q.get("tier"), Server: q.get("server"), Tag: q.get("tag"), Release: q.get("release"),
				Search: q.get("q"), Page: q.page()})
		})
	get("/api/v1/tenants/{code}", []string{"history_after", "history_limit", "rollouts_before", "rollouts_limit"}, func(r *http.Request, q query) (any, error) {
		code := r.PathValue("code")
		if err := herd.ValidateTenantCode(code); err != nil {
			return nil, badParam("code", "%v", err)
		}
		return api.TenantRecord(r.Context(), code, herd.TenantRecordQuery{HistoryAfter: q.int64("history_after"),
			HistoryLimit: q.int("history_limit"), RolloutsBefore: q.int64("rollouts_before"), RolloutsLimit: q.int("rollouts_limit")})
	})
	get("/api/v1/releases", nil, func(r *http.Request, _ query) (any, error) {
		c, err := api.Releases(r.Context())
		return releases{Releases: c.Rows(), Unreleased: c.Unreleased}, err
	})
	get("/api/v1/rollouts", append([]string{"status"}, pageParams...), func(r *http.Request, q query) (any, error) {
		return api.RolloutList(r.Context(), herd.RolloutQuery{Status: q.get("status"), Page: q.page()})
	})
	get("/api/v1/rollouts/{id}", nil, func(r *http.Request, _ query) (any, error) {
		id, err := rolloutID(r)
		if err != nil {
			return nil, err
		}
		return api.RolloutProgress(r.Context(), id)
	})
	get("/api/v1/rollouts/{id}/items", append([]string{"state"}, pageParams...), func(r *http.Request, q query) (any, error) {
		id, err := rolloutID(r)
		if err != nil {
			return nil, err
		}
		return api.RolloutItems(r.Context(), id, herd.ItemQuery{State: q.get("state"), Page: q.page()})
	})
	get("/api/v1/audit", append([]string{"actor", "action"}, pageParams...), func(r *http.Request, q query) (any, error) {
		return api.AuditLog(r.Context(), herd.AuditQuery{Actor: q.get("actor"), Action: q.get("action"), Page: q.page()})
	})
	handle("GET /api/v1/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, apiError{Error: fmt.Sprintf("no such route: %s (see docs/api.md)", r.URL.Path)})
	}))
}

// apiHandler answers a route that takes the query parameters params with
// what read returns, as JSON, or with the API's error.
func apiHandler(log *slog.Logger, params []string, read func(r *http.Request, q query) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, err := parseQuery(r.URL.RawQuery, params)
		var v any
		if err == nil {
			v, err = read(r, q)
		}
		if err != nil {
			status, body := apiFailure(err)
			if status == http.StatusInternalServerError {
				log.Error("herd serve: api: read the control database", "path", r.URL.Path, "err", err)
			}
			writeJSON(w, status, body)
			return
		}
		writeJSON(w, http.StatusOK, v)
	})
}

// apiFailure is the status and body that answer err (see readStatus).
func apiFailure(err error) (int, apiError) {
	status := readStatus(err)
	if status == http.StatusInternalServerError {
		return status, apiError{Error: "reading the control database failed; the server's log says why"}
	}
	body := apiError{Error: err.Error()}
	var qe *herd.QueryError
	if errors.As(err, &qe) {
		body.Parameter = qe.Param
	}
	return status, body
}

// readStatus is the status that answers a read of the fleet that failed
// with err: 404 for a tenant or rollout that does not exist, 400 for
// other bad input, 500 for the control database's failures.
func readStatus(err error) int {
	switch {
	case errors.Is(err, control.ErrTenantNotFound), errors.Is(err, control.ErrRolloutNotFound):
		return http.StatusNotFound
	case herd.IsInputError(err):
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// numberParams are the query parameters that take a whole number.
var numberParams = []string{"limit", "history_after", "history_limit", "rollouts_before", "rollouts_limit"}

// query is a request's query parameters, each given once, the numbers
// among them whole numbers.
type query struct{ values url.Values }

// parseQuery reads raw, refusing a parameter not in allowed, given twice,
// or, among numberParams, not a whole number.
func parseQuery(raw string, allowed []string) (query, error) {
	values, err := url.ParseQuery(raw)
	if err != nil {
		return query{}, &herd.InputError{Err: fmt.Errorf("the query string: %w", err)}
	}
	for name, vs := range values {
		switch {
		case !slices.Contains(allowed, name):
			want := "none"
			if len(allowed) > 0 {
				want = strings.Join(allowed, ", ")
			}
			return query{}, badParam(name, "unknown parameter: this route takes %s", want)
		case len(vs) > 1:
			return query{}, badParam(name, "given %d times: give it once", len(vs))
		}
		if _, err := strconv.ParseInt(vs[0], 10, 64); err != nil && slices.Contains(numberParams, name) {
			return query{}, badParam(name, "%q: want a whole number", vs[0])
		}
	}
	return query{values: values}, nil
}

// badParam is the input error of parameter name.
func badParam(name, format string, args ...any) error {
	return &herd.InputError{Err: &herd.QueryError{Param: name, Err: fmt.Errorf(format, args...)}}
}

func (q query) get(name string) string { return q.values.Get(name) }

// int returns parameter name, one of numberParams, 0 when it is absent.
func (q query) int(name string) int {
	n, _ := strconv.Atoi(q.values.Get(name)) // parseQuery checked it
	return n
}

// page returns the cursor and limit parameters.
func (q query) page() herd.Page { return herd.Page{Cursor: q.get("cursor"), Limit: q.int("limit")} }

// int64 is int for a parameter that holds an id.
func (q query) int64(name string) int64 { return int64(q.int(name)) }

// rolloutID returns the request's rollout id, or the input error of one
// that is not a positive number.
func rolloutID(r *http.Request) (int64, error) {
	s := r.PathValue("id")
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		return 0, badParam("id", "rollout id %q: want a positive number", s)
	}
	return n, nil
}
