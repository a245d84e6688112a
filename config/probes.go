package config

import (
	"fmt"
	"net/url"
	"strings"

	"gopkg.in/yaml.v3"
)

// Probes are the health probes of herd.yaml: how herd judges a tenant
// healthy after its migration, and during the bake time.
type Probes struct {
	// SQL are queries run against the tenant database, in file order;
	// each must return one row whose one column is true.
	SQL []SQLProbe
	// HTTP is a URL to GET, with {code} replaced by the tenant code; a 2xx
	// answer means healthy. "" when there is none.
	HTTP string
}

// SQLProbe is one SQL health probe.
type SQLProbe struct {
	// Name names the probe in events and output: a-z, 0-9, _ and -,
	// unique among the probes.
	Name string
	// Query is the query to run against the tenant database.
	Query string
}

// URL returns the HTTP probe's URL for the tenant with code, or "" when
// there is no HTTP probe. The code is path-escaped.
func (ps Probes) URL(code string) string {
	if ps.HTTP == "" {
		return ""
	}
	return strings.ReplaceAll(ps.HTTP, "{code}", url.PathEscape(code))
}

// probes reads the health_probes section.
func (p *parser) probes(n *yaml.Node) Probes {
	var ps Probes
	n = deref(n)
	if isNull(n) {
		return ps
	}
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, "health_probes: want a mapping with sql and http, got %s", kindName(n))
		return ps
	}
	f := p.fields(n, "health_probes", "sql", "http")
	if e, ok := f["sql"]; ok && !isNull(deref(e.val)) {
		ps.SQL = p.sqlProbes(e.val)
	}
	if e, ok := f["http"]; ok && !isNull(deref(e.val)) {
		if s, ok := p.str(e.val, "health_probes.http"); ok {
			if m := checkHTTPURL(strings.ReplaceAll(s, "{code}", "code")); m != "" {
				p.add(e.val.Line, "health_probes.http: %s, such as http://127.0.0.1:8080/health/{code}", m)
			} else if strings.ContainsAny(strings.ReplaceAll(s, "{code}", ""), "{}") {
				p.add(e.val.Line, "health_probes.http: only {code} may be written in braces")
			} else {
				ps.HTTP = s
			}
		}
	}
	return ps
}

// sqlProbes reads health_probes.sql: a list of {name, query}.
func (p *parser) sqlProbes(n *yaml.Node) []SQLProbe {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		p.add(n.Line, "health_probes.sql: want a list of probes with name and query, got %s", kindName(n))
		return nil
	}
	var out []SQLProbe
	names := map[string]int{}
	for i, item := range n.Content {
		item = deref(item)
		where := fmt.Sprintf("health_probes.sql[%d]", i)
		if item.Kind != yaml.MappingNode {
			p.add(item.Line, "%s: want a mapping with name and query, got %s", where, kindName(item))
			continue
		}
		f := p.fields(item, where, "name", "query")
		var pr SQLProbe
		ok := true
		if e, found := f["name"]; !found {
			p.add(item.Line, "%s: name is required", where)
			ok = false
		} else if s, valid := p.str(e.val, where+".name"); !valid {
			ok = false
		} else {
			first, dup := names[s]
			switch {
			case s == "":
				p.add(e.val.Line, "%s: name must not be empty", where)
				ok = false
			case !validName(s, "-"):
				p.add(e.val.Line, "%s: probe name %q: use only a-z, 0-9, _ and -", where, s)
				ok = false
			case dup:
				p.add(e.val.Line, "%s: duplicate probe name %q (first at line %d)", where, s, first)
				ok = false
			default:
				names[s] = e.val.Line
				pr.Name = s
				where = "health_probes.sql." + s
			}
		}
		if e, found := f["query"]; !found {
			p.add(item.Line, "%s: query is required", where)
			ok = false
		} else if s, valid := p.str(e.val, where+".query"); !valid {
			ok = false
		} else if strings.TrimSpace(s) == "" {
			p.add(e.val.Line, "%s: query must not be empty", where)
			ok = false
		} else {
			pr.Query = s
		}
		if ok {
			out = append(out, pr)
		}
	}
	return out
}

// checkHTTPURL returns what is wrong with an http(s) URL, or "". The
// message never quotes the URL, which may hold a token.
func checkHTTPURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case s == "":
		return "want an absolute http:// or https:// URL"
	case err != nil:
		return "not a valid URL: want an absolute http:// or https:// URL"
	case u.Scheme != "http" && u.Scheme != "https", u.Host == "", u.Opaque != "":
		return "want an absolute http:// or https:// URL"
	}
	return ""
}
