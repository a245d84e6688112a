package server

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// loginView is the sign-in form's data.
type loginView struct {
	Next    string
	Problem string
}

func (c *console) loginForm(w http.ResponseWriter, r *http.Request) {
	c.pages.render(w, r, http.StatusOK, "login", view{Title: "Sign in", Body: loginView{Next: localPath(r.URL.Query().Get("next"))}})
}

// login signs a browser in with a token sent in the form: it gets a
// session cookie and goes on to the page it asked for.
func (c *console) login(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.PostFormValue("next"))
	if !sameOrigin(r) {
		c.fail(w, r, principal{}, http.StatusForbidden, "a sign-in from another site is refused")
		return
	}
	addr := clientAddr(r)
	if wait := c.signIns.wait(addr); wait > 0 {
		secs := retryAfter(wait)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		c.log.Warn("console: sign-in refused: too many failed sign-ins", "client", addr)
		c.pages.render(w, r, http.StatusTooManyRequests, "login", view{Title: "Sign in", Body: loginView{Next: next,
			Problem: fmt.Sprintf("Too many failed sign-ins: try again in %d s.", secs)}})
		return
	}
	p, ok := c.creds.match(strings.TrimSpace(r.PostFormValue("token")))
	if !ok {
		c.signIns.failed(addr)
		c.log.Warn("console: sign-in failed", "client", addr)
		c.pages.render(w, r, http.StatusUnauthorized, "login", view{Title: "Sign in", Body: loginView{Next: next, Problem: "That is not a token of this server."}})
		return
	}
	c.sessions.start(w, r, p)
	c.log.Info("console: signed in", "token", p.name, "role", p.role.String())
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (c *console) logout(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		c.fail(w, r, principal{}, http.StatusForbidden, "a sign-out from another site is refused")
		return
	}
	c.sessions.end(w, r)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// localPath returns next when it is a path on this server, else "/": a
// sign-in never sends the browser to another site.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

// sameOrigin reports whether a browser sent r from this server's own
// pages: Sec-Fetch-Site, when sent, says same-origin; Origin, when sent,
// is this server's. A request that sends neither (not a browser) passes.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	scheme := "http"
	if overTLS(r) {
		scheme = "https"
	}
	return origin == scheme+"://"+r.Host
}

// overTLS reports whether the browser sent r over TLS: to herd serve
// itself, or to a proxy in front of it that says so in
// X-Forwarded-Proto. (A client that claims TLS falsely only gets a
// Secure cookie that its browser will not send back over plain HTTP, and
// a browser's form cannot set the header.)
func overTLS(r *http.Request) bool {
	return r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}
