package config

import (
	"net/url"
	"strings"

	"gopkg.in/yaml.v3"
)

// Serve is herd.yaml's serve section: what herd serve needs to know of
// itself.
type Serve struct {
	// PublicURL is the address at which people and their calendar
	// applications reach herd serve (behind its proxy, if any): an
	// absolute http(s) URL without user, query or fragment, and without
	// a trailing slash. "" when not declared; then webhooks carry no
	// calendar links.
	PublicURL string
}

// CalendarURL returns the address of tenant code's upgrade calendar
// (herd serve's /calendar/{code}.ics) at PublicURL, or "" when no public
// URL is declared.
func (s Serve) CalendarURL(code string) string {
	if s.PublicURL == "" {
		return ""
	}
	return s.PublicURL + "/calendar/" + url.PathEscape(code) + ".ics"
}

// serve reads the serve section.
func (p *parser) serve(n *yaml.Node) Serve {
	var s Serve
	n = deref(n)
	if isNull(n) {
		return s
	}
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, "serve: want a mapping with public_url, got %s", kindName(n))
		return s
	}
	f := p.fields(n, "serve", "public_url")
	if e, ok := f["public_url"]; ok {
		if raw, ok := p.str(e.val, "serve.public_url"); ok {
			if m := checkPublicURL(raw); m != "" {
				p.add(deref(e.val).Line, "serve.public_url %q: %s", raw, m)
			} else {
				s.PublicURL = strings.TrimRight(raw, "/")
			}
		}
	}
	return s
}

// checkPublicURL returns what is wrong with a public URL, or "". It is
// sent to webhook receivers and shown to tenants, so it must not carry
// credentials, and links are built by appending paths to it.
func checkPublicURL(s string) string {
	if m := checkHTTPURL(s); m != "" {
		return m
	}
	u, _ := url.Parse(s) // checkHTTPURL parsed it
	switch {
	case u.User != nil:
		return "must not hold a user or password: it is sent to webhook receivers and tenants"
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "must not have a query or fragment: herd appends paths to it"
	}
	return ""
}
