package config

import (
	"math"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// throttle reads a server's throttle: a mapping of query, max and
// interval. It returns nil after recording a problem.
func (p *parser) throttle(e entry, where string) *Throttle {
	n := deref(e.val)
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, "%s: want a mapping with query, max and interval, got %s", where, kindName(n))
		return nil
	}
	f := p.fields(n, where, "query", "max", "interval")
	t := &Throttle{Interval: DefaultThrottleInterval, Line: e.key.Line}
	ok := true
	if q, found := f["query"]; !found {
		p.add(n.Line, "%s: query is required: a SQL query returning one number, as in SELECT lag_seconds FROM replica_status", where)
		ok = false
	} else if s, valid := p.str(q.val, where+".query"); !valid {
		ok = false
	} else if strings.TrimSpace(s) == "" {
		p.add(q.val.Line, "%s.query: must not be empty", where)
		ok = false
	} else {
		t.Query = s
	}
	if m, found := f["max"]; !found {
		p.add(n.Line, "%s: max is required: the greatest value at which chunked migrations go on", where)
		ok = false
	} else if v, valid := p.number(m.val, where+".max"); !valid {
		ok = false
	} else {
		t.Max = v
	}
	if i, found := f["interval"]; found {
		if d, valid := p.duration(i.val, where+".interval", time.Millisecond); valid {
			t.Interval = d
		} else {
			ok = false
		}
	}
	if !ok {
		return nil
	}
	return t
}

// number reads a finite number, whole or not. It reports false after
// recording a problem.
func (p *parser) number(n *yaml.Node, where string) (float64, bool) {
	n = deref(n)
	var v float64
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") || n.Decode(&v) != nil ||
		math.IsNaN(v) || math.IsInf(v, 0) {
		p.add(n.Line, "%s: want a number such as 5 or 2.5, got %s", where, scalarText(n))
		return 0, false
	}
	return v, true
}
