package server

import (
	"net/http"
	"net/url"

	"github.com/herdhq/herd"
)

// The console's paged lists: tenants, rollouts and the audit log. Each
// reads one page through the same queries as the JSON API, takes the
// API's filter names from the query string, and links to the next page
// with the filters kept. A bad filter or cursor is a 400 page naming it.

// listView is a paged list's data: its rows, the filters it was asked
// for (to fill the form again) and the link to the next page, "" on the
// last.
type listView[T any] struct {
	Rows    []T
	Filters url.Values
	Next    string
}

// nextLink returns the path of the page after this one: r's query with
// its cursor replaced; "" when there is none.
func nextLink(r *http.Request, cursor string) string {
	if cursor == "" {
		return ""
	}
	q := r.URL.Query()
	q.Set("cursor", cursor)
	return r.URL.Path + "?" + q.Encode()
}

// list renders page, one of the console's lists, titled title: read
// reads the rows r's query selects, from its cursor, and the cursor of
// the next page.
func list[T any](c *console, w http.ResponseWriter, r *http.Request, p principal, page, title string,
	read func(q url.Values, pg herd.Page) (rows []T, next string, err error)) {
	q := r.URL.Query()
	rows, next, err := read(q, herd.Page{Cursor: q.Get("cursor")})
	if err != nil {
		c.readFailed(w, r, p, err)
		return
	}
	c.pages.render(w, r, http.StatusOK, page, view{Title: title, Who: p, Nav: page,
		Body: listView[T]{Rows: rows, Filters: q, Next: nextLink(r, next)}})
}

func (c *console) tenants(w http.ResponseWriter, r *http.Request, p principal) {
	list(c, w, r, p, "tenants", "Tenants", func(q url.Values, pg herd.Page) ([]herd.TenantListRow, string, error) {
		out, err := c.fleet.TenantPage(r.Context(), herd.TenantQuery{Version: q.Get("version"), Status: q.Get("status"),
			Tier: q.Get("tier"), Server: q.Get("server"), Tag: q.Get("tag"), Release: q.Get("release"), Search: q.Get("q"), Page: pg})
		return out.Tenants, out.Next, err
	})
}

func (c *console) rollouts(w http.ResponseWriter, r *http.Request, p principal) {
	list(c, w, r, p, "rollouts", "Rollouts", func(q url.Values, pg herd.Page) ([]herd.Rollout, string, error) {
		out, err := c.fleet.RolloutList(r.Context(), herd.RolloutQuery{Status: q.Get("status"), Page: pg})
		return out.Rollouts, out.Next, err
	})
}

func (c *console) audit(w http.ResponseWriter, r *http.Request, p principal) {
	list(c, w, r, p, "audit", "Audit log", func(q url.Values, pg herd.Page) ([]herd.AuditEntry, string, error) {
		out, err := c.fleet.AuditLog(r.Context(), herd.AuditQuery{Actor: q.Get("actor"), Action: q.Get("action"), Page: pg})
		return out.Entries, out.Next, err
	})
}
