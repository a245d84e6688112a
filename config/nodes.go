package config

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// fields reads a mapping with a fixed set of keys, reporting unknown and
// duplicate keys.
func (p *parser) fields(n *yaml.Node, where string, known ...string) map[string]entry {
	out := map[string]entry{}
	for _, e := range p.entries(n, where) {
		if !slices.Contains(known, e.key.Value) {
			p.add(e.key.Line, "%sunknown key %q (known: %s)", prefix(where), e.key.Value, strings.Join(known, ", "))
			continue
		}
		out[e.key.Value] = e
	}
	return out
}

// entries returns the key/value pairs of a mapping in file order,
// reporting duplicate and non-scalar keys (which are left out).
func (p *parser) entries(n *yaml.Node, where string) []entry {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, "%swant a mapping, got %s", prefix(where), kindName(n))
		return nil
	}
	seen := map[string]int{}
	var out []entry
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.add(k.Line, "%skeys must be plain names, got %s", prefix(where), kindName(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			p.add(k.Line, "%sduplicate key %q (first at line %d)", prefix(where), k.Value, first)
			continue
		}
		seen[k.Value] = k.Line
		out = append(out, entry{key: k, val: v})
	}
	return out
}

// str reads a scalar as a string; null reads as "". It reports false after
// recording a problem when n is not a scalar. It never quotes the value,
// which may be a DSN.
func (p *parser) str(n *yaml.Node, where string) (string, bool) {
	n = deref(n)
	if n.Kind != yaml.ScalarNode {
		p.add(n.Line, "%s: want a string, got %s", where, kindName(n))
		return "", false
	}
	if isNull(n) {
		return "", true
	}
	return n.Value, true
}

// boolean reads true or false; null reads as false.
func (p *parser) boolean(n *yaml.Node, where string) bool {
	n = deref(n)
	if n.Kind == yaml.ScalarNode {
		switch {
		case isNull(n):
			return false
		case n.ShortTag() == "!!bool":
			b, err := strconv.ParseBool(strings.ToLower(n.Value))
			if err == nil {
				return b
			}
		}
		p.add(n.Line, "%s: want true or false, got %q", where, n.Value)
		return false
	}
	p.add(n.Line, "%s: want true or false, got %s", where, kindName(n))
	return false
}

// names reads a list of feature names; null and [] read as nil.
func (p *parser) names(n *yaml.Node, where string) []string {
	n = deref(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.add(n.Line, "%s: want a list such as [a, b], got %s", where, kindName(n))
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, item := range n.Content {
		item = deref(item)
		if item.Kind != yaml.ScalarNode || isNull(item) || item.Value == "" {
			p.add(item.Line, "%s: want a feature name, got %s", where, kindName(item))
			continue
		}
		if seen[item.Value] {
			p.add(item.Line, "%s: duplicate feature %q", where, item.Value)
			continue
		}
		seen[item.Value] = true
		out = append(out, item.Value)
	}
	return out
}

// positive reads a whole number of at least 1. It reports false after
// recording a problem.
func (p *parser) positive(n *yaml.Node, where string) (int, bool) {
	return p.whole(n, where, 1)
}

// whole reads a whole number of at least least. It reports false after
// recording a problem.
func (p *parser) whole(n *yaml.Node, where string, least int) (int, bool) {
	n = deref(n)
	var v int
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		p.add(n.Line, "%s: want a whole number such as 4, got %s", where, scalarText(n))
		return 0, false
	}
	if v < least {
		p.add(n.Line, "%s: must be at least %d, got %d", where, least, v)
		return 0, false
	}
	return v, true
}

// duration reads a Go duration such as 30s or 1h30m (0 needs no unit) of
// at least least. It reports false after recording a problem.
func (p *parser) duration(n *yaml.Node, where string, least time.Duration) (time.Duration, bool) {
	n = deref(n)
	if n.Kind != yaml.ScalarNode || isNull(n) {
		p.add(n.Line, "%s: want a duration such as 30s, 5m or 1h30m, got %s", where, kindName(n))
		return 0, false
	}
	d, err := time.ParseDuration(n.Value)
	if err != nil {
		p.add(n.Line, "%s: %q is not a duration (want a number and a unit: 30s, 5m, 1h30m)", where, n.Value)
		return 0, false
	}
	switch {
	case d < 0:
		p.add(n.Line, "%s: must not be negative, got %s", where, n.Value)
		return 0, false
	case d < least:
		p.add(n.Line, "%s: must be at least %s, got %s", where, least, n.Value)
		return 0, false
	}
	return d, true
}

// scalars reads a list of non-empty scalars, reporting items that are not
// and duplicates (which are left out); null reads as nil. noun names an
// item in messages ("tenant code"); check, when not nil, returns what is
// wrong with an item or "".
func (p *parser) scalars(n *yaml.Node, where, noun string, check func(string) string) []string {
	n = deref(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.add(n.Line, "%s: want a list such as [a, b], got %s", where, kindName(n))
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, item := range n.Content {
		item = deref(item)
		if item.Kind != yaml.ScalarNode || isNull(item) || item.Value == "" {
			p.add(item.Line, "%s: want a %s, got %s", where, noun, kindName(item))
			continue
		}
		if check != nil {
			if m := check(item.Value); m != "" {
				p.add(item.Line, "%s: %s", where, m)
				continue
			}
		}
		if seen[item.Value] {
			p.add(item.Line, "%s: duplicate %s %q", where, noun, item.Value)
			continue
		}
		seen[item.Value] = true
		out = append(out, item.Value)
	}
	return out
}

// scalarText describes a node for messages: a scalar's value quoted, or
// the node's kind. Use it only where the value cannot be a secret.
func scalarText(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		return strconv.Quote(n.Value)
	}
	return kindName(n)
}

// deref follows aliases to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// isNull reports whether n is a YAML null (null, ~ or nothing).
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// kindName describes a node's kind for messages, without its value.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "nothing"
		case "!!bool":
			return "a boolean"
		case "!!int", "!!float":
			return "a number"
		}
		return "a string"
	}
	return "something else"
}

// validName reports whether s uses only a-z, 0-9, _ and the characters in
// extra. The empty string is valid only when extra is "" (a template's
// literal part may be empty).
func validName(s, extra string) bool {
	if s == "" {
		return extra == ""
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || strings.ContainsRune(extra, r)) {
			return false
		}
	}
	return true
}

// prefix renders where as a message prefix: "servers.pg: ", or "" at the
// top level.
func prefix(where string) string {
	if where == "" {
		return ""
	}
	return where + ": "
}
