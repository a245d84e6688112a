package server

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/herdhq/herd"
)

// ConsoleFleet is what the console (the dashboard's pages, live updates
// and operator actions) needs of a fleet besides Fleet. When the fleet
// New is given satisfies it, New serves the console too. *herd.Fleet
// satisfies it.
type ConsoleFleet interface {
	Fleet
	liveFleet
	// EvaluateFlags evaluates every flag for the tenant.
	EvaluateFlags(ctx context.Context, code string) ([]herd.FlagResult, error)
	// FlagRules returns every declared flag with its overrides.
	FlagRules(ctx context.Context) ([]herd.FlagRules, error)
	// SteerRollout does an operator's action to a rollout, audited under
	// the actor's name.
	SteerRollout(ctx context.Context, actor string, id int64, action herd.RolloutAction) (herd.Steered, error)
	// BeginRollback begins a rollout's emergency rollback, audited under
	// the actor's name; the console runs the rest in the background.
	BeginRollback(ctx context.Context, actor string, id int64) (*herd.RollbackRun, error)
	// CalendarURL returns the signed address of a tenant's calendar
	// feed, which its page links.
	CalendarURL(ctx context.Context, req herd.CalendarRequest) (string, error)
}

var _ ConsoleFleet = (*herd.Fleet)(nil)

// console serves the dashboard's pages.
type console struct {
	*server
	fleet     ConsoleFleet
	pages     *pages
	live      *live
	rollbacks *rollbacks
}

// mountConsole adds the console's routes to mux.
func (s *server) mountConsole(mux *http.ServeMux, fleet ConsoleFleet, every time.Duration, rbs *rollbacks, h hooks) {
	c := &console{server: s, fleet: fleet, pages: mustParsePages(), rollbacks: rbs}
	c.live = newLive(fleet, every, c.renderProgress, s.log)
	if h.ticks != nil {
		c.live.ticks = h.ticks
	}
	mux.Handle("GET /static/", http.FileServerFS(staticFS()))
	mux.HandleFunc("GET /login", c.loginForm)
	mux.HandleFunc("POST /login", c.login)
	mux.HandleFunc("POST /logout", c.logout)
	mux.Handle("GET /{$}", c.page(c.overview))
	mux.Handle("GET /tenants", c.page(c.tenants))
	mux.Handle("GET /tenants/{code}", c.page(c.tenant))
	mux.Handle("GET /rollouts", c.page(c.rollouts))
	mux.Handle("GET /rollouts/{id}", c.page(c.rollout))
	mux.Handle("GET /rollouts/{id}/events", c.page(c.events))
	mux.Handle("GET /rollouts/{id}/actions/{action}", c.operatorPage(c.confirm))
	mux.Handle("POST /rollouts/{id}/actions/{action}", c.operatorPost(c.act))
	mux.Handle("GET /releases", c.page(c.releases))
	mux.Handle("GET /audit", c.page(c.audit))
}

// handler is a console page's handler, told who asks.
type handler func(w http.ResponseWriter, r *http.Request, p principal)

// page serves h to viewers and operators, and sends a browser without a
// session to the sign-in form.
func (c *console) page(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, problem := c.identify(r)
		if problem != tokenOK {
			if problem == tokenMissing {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			c.fail(w, r, p, http.StatusUnauthorized, string(problem))
			return
		}
		if p.session == nil && len(c.creds) == 0 {
			p.session = c.sessions.start(w, r, p) // without tokens, a browser's forms still carry a CSRF token
		}
		h(w, r, p)
	})
}

// operatorPage serves h to operators only; a viewer is refused 403.
func (c *console) operatorPage(h handler) http.Handler {
	return c.page(func(w http.ResponseWriter, r *http.Request, p principal) {
		if p.role < Operator {
			c.fail(w, r, p, http.StatusForbidden, "this needs an operator token; "+p.name+" is a viewer")
			return
		}
		h(w, r, p)
	})
}

// rolloutID reads the {id} of r's path; a bad one is answered 404.
func (c *console) rolloutID(w http.ResponseWriter, r *http.Request, p principal) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		c.fail(w, r, p, http.StatusNotFound, "rollout "+strconv.Quote(r.PathValue("id"))+" is not a rollout id")
		return 0, false
	}
	return id, true
}

// readFailed answers a read of the fleet that failed with the error page
// of readStatus's status, and logs the control database's failures.
func (c *console) readFailed(w http.ResponseWriter, r *http.Request, p principal, err error) {
	status := readStatus(err)
	if status == http.StatusInternalServerError {
		c.log.Error("console: read the control database", "path", r.URL.Path, "err", err)
	}
	c.fail(w, r, p, status, err.Error())
}

// fail renders the error page with status.
func (c *console) fail(w http.ResponseWriter, r *http.Request, p principal, status int, msg string) {
	c.pages.render(w, r, status, "error", view{Title: http.StatusText(status), Who: p, Body: msg})
}
