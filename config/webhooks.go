package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/herdhq/herd/event"
)

// Webhook is one receiver of herd's events. It holds its signing secret:
// fmt shows a Webhook without it.
type Webhook struct {
	// URL is the absolute http(s) URL events are POSTed to, with ${VAR}
	// references expanded. It may hold a token; show it through
	// Webhook.String.
	URL string
	// Secret is the HMAC-SHA256 signing key, with ${VAR} references
	// expanded. Never shown.
	Secret string
	// Events are the event types the webhook receives, as event.Type
	// strings; nil means every fleet event (see event.Type.Step).
	Events []string
	// Line is the line of the webhook in the file.
	Line int
	// unset names the environment variables Secret refers to that were
	// not set when the file was read (see Config.CheckWebhooks).
	unset []Problem
}

// CheckWebhooks returns an *Error naming, at its line, each environment
// variable a webhook's secret refers to that was not set when herd.yaml
// was read, or nil. Reading herd.yaml does not need them, so that the
// commands that send no webhook run without them; a command that sends
// webhooks calls CheckWebhooks first.
func (c *Config) CheckWebhooks() error {
	var list []Problem
	for _, w := range c.Webhooks {
		list = append(list, w.unset...)
	}
	if len(list) == 0 {
		return nil
	}
	return &Error{Problems: list}
}

// Wants reports whether the webhook receives events of type t: those it
// lists, or every fleet event (not a step event) when it lists none.
func (w Webhook) Wants(t event.Type) bool {
	if len(w.Events) == 0 {
		return !t.Step()
	}
	return slices.Contains(w.Events, string(t))
}

// String describes the webhook without its secret, and with its URL cut to
// scheme and host, since the path or query may hold a token.
func (w Webhook) String() string {
	return "webhook " + RedactURL(w.URL)
}

// GoString is String, so that %#v does not show the secret either.
func (w Webhook) GoString() string { return w.String() }

// RedactURL returns scheme://host of an absolute URL, followed by "/…"
// when the URL has more, so that it names the receiver without any token
// its user info, path or query may hold. A URL that does not parse gives
// "(invalid URL)".
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "(invalid URL)"
	}
	out := u.Scheme + "://" + u.Host
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		out += "/…"
	}
	return out
}

// EventTypes returns every event type a webhook may subscribe to: the
// fleet events of event.Types, in its order.
func EventTypes() []event.Type {
	var out []event.Type
	for _, t := range event.Types() {
		if !t.Step() {
			out = append(out, t)
		}
	}
	return out
}

// webhooks reads the webhooks section: a list of {url, secret, events}.
func (p *parser) webhooks(n *yaml.Node) []Webhook {
	n = deref(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.add(n.Line, "webhooks: want a list of webhooks with url, secret and events, got %s", kindName(n))
		return nil
	}
	known := make([]string, 0, 16)
	for _, t := range EventTypes() {
		known = append(known, string(t))
	}
	var out []Webhook
	for i, item := range n.Content {
		item = deref(item)
		where := fmt.Sprintf("webhooks[%d]", i)
		if item.Kind != yaml.MappingNode {
			p.add(item.Line, "%s: want a mapping with url, secret and events, got %s", where, kindName(item))
			continue
		}
		before := len(p.problems.list)
		w := Webhook{Line: item.Line}
		f := p.fields(item, where, "url", "secret", "events")

		if e, ok := f["url"]; !ok {
			p.add(item.Line, "%s: url is required", where)
		} else if raw, ok := p.str(e.val, where+".url"); ok {
			if s, ok := p.expand(raw, e.val, where+".url"); ok {
				if m := checkHTTPURL(s); m != "" {
					p.add(e.val.Line, "%s.url: %s", where, m)
				}
				w.URL = s
			}
		}

		if e, ok := f["secret"]; !ok {
			p.add(item.Line, "%s: secret is required: the key receivers check signatures with, as in ${HERD_WEBHOOK_SECRET}", where)
		} else if raw, ok := p.str(e.val, where+".secret"); ok {
			if s, unset, ok := p.expandLater(raw, e.val, where+".secret"); ok {
				if s == "" && len(unset) == 0 {
					p.add(e.val.Line, "%s.secret: must not be empty", where)
				}
				w.Secret, w.unset = s, unset
			}
		}

		if e, ok := f["events"]; ok {
			v := deref(e.val)
			w.Events = p.scalars(v, where+".events", "event type", func(s string) string {
				if !slices.Contains(known, s) {
					return fmt.Sprintf("unknown event type %q (known: %s)", s, strings.Join(known, ", "))
				}
				return ""
			})
			if isNull(v) || v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
				p.add(v.Line, "%s.events: list at least one event type, or leave the key out for every event", where)
			}
		}
		if len(p.problems.list) == before {
			out = append(out, w)
		}
	}
	return out
}

// expandLater is expand for a value only some commands need: a variable
// that is not set is not a problem of the file but returned as one for
// later (it expands to ""), while a malformed reference is reported.
func (p *parser) expandLater(raw string, n *yaml.Node, where string) (string, []Problem, bool) {
	var unset []Problem
	s, ok := p.expandWith(raw, n, where, func(name string) (string, bool) {
		v, set := p.lookup(name)
		if !set {
			unset = append(unset, Problem{File: p.problems.file, Line: n.Line,
				Msg: fmt.Sprintf("%s: environment variable %s is not set (commands that send webhooks need it)", where, name)})
		}
		return v, true
	})
	return s, unset, ok
}

// expand replaces ${VAR} references in raw from the environment, reporting
// unset or malformed variables. The messages never contain the value.
func (p *parser) expand(raw string, n *yaml.Node, where string) (string, bool) {
	return p.expandWith(raw, n, where, p.lookup)
}

func (p *parser) expandWith(raw string, n *yaml.Node, where string, lookup func(string) (string, bool)) (string, bool) {
	s, msgs := expandEnv(raw, lookup)
	for _, m := range msgs {
		p.add(n.Line, "%s: %s", where, m)
	}
	return s, len(msgs) == 0
}
