package config

import (
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// maintenance reads the maintenance_windows section.
func (p *parser) maintenance(n *yaml.Node) Windows {
	var ws Windows
	n = deref(n)
	if isNull(n) {
		return ws
	}
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, "maintenance_windows: want a mapping with default, tiers and tenants, got %s", kindName(n))
		return ws
	}
	f := p.fields(n, "maintenance_windows", "default", "tiers", "tenants")
	if e, ok := f["default"]; ok && !isNull(deref(e.val)) {
		if w, ok := p.window(e.val, "maintenance_windows.default"); ok {
			ws.Default = &w
		}
	}
	ws.Tiers = p.windowMap(f, "tiers", nil)
	ws.Tenants = p.windowMap(f, "tenants", checkCode)
	return ws
}

// windowMap reads maintenance_windows.tiers or .tenants: a mapping of
// names to windows. check, when not nil, returns what is wrong with a name.
func (p *parser) windowMap(f map[string]entry, key string, check func(string) string) map[string]Window {
	e, ok := f[key]
	if !ok || isNull(deref(e.val)) {
		return nil
	}
	where := "maintenance_windows." + key
	if n := deref(e.val); n.Kind != yaml.MappingNode {
		p.add(n.Line, "%s: want a mapping of names to windows, got %s", where, kindName(n))
		return nil
	}
	out := map[string]Window{}
	for _, we := range p.entries(e.val, where) {
		name := we.key.Value
		if name == "" {
			p.add(we.key.Line, "%s: name must not be empty", where)
			continue
		}
		if check != nil {
			if m := check(name); m != "" {
				p.add(we.key.Line, "%s: %s", where, m)
				continue
			}
		}
		if w, ok := p.window(we.val, where+"."+name); ok {
			out[name] = w
		}
	}
	return out
}

// window reads one window: {days, hours, time_zone}. days defaults to every
// day and time_zone to UTC; hours is required. It reports false after
// recording a problem.
func (p *parser) window(n *yaml.Node, where string) (Window, bool) {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, "%s: want a mapping with days, hours and time_zone, got %s", where, kindName(n))
		return Window{}, false
	}
	before := len(p.problems.list)
	f := p.fields(n, where, "days", "hours", "time_zone")
	var w Window

	dayText := "every day"
	if e, ok := f["days"]; ok {
		days := p.scalars(e.val, where+".days", "day", func(s string) string {
			if _, ok := parseDay(s); !ok {
				return "unknown day " + strconv.Quote(s) + " (want mon, tue, wed, thu, fri, sat or sun)"
			}
			return ""
		})
		for _, s := range days {
			d, _ := parseDay(s)
			w.Days = append(w.Days, d)
		}
		if v := deref(e.val); v.Kind == yaml.SequenceNode && len(v.Content) == 0 || isNull(v) {
			p.add(v.Line, "%s.days: list at least one day, or leave the key out for every day", where)
		}
		dayText = strings.Join(days, ",")
	}

	hourText := ""
	if e, ok := f["hours"]; !ok {
		p.add(n.Line, "%s: hours is required, as in hours: \"22:00-02:00\"", where)
	} else if s, ok := p.str(e.val, where+".hours"); ok {
		start, end, msg := parseHours(s)
		if msg != "" {
			p.add(e.val.Line, "%s: hours %q: %s", where, s, msg)
		}
		w.Start, w.End, hourText = start, end, s
	}

	w.Location = time.UTC
	if e, ok := f["time_zone"]; ok {
		if s, ok := p.str(e.val, where+".time_zone"); ok {
			switch loc, err := time.LoadLocation(s); {
			case s == "":
				p.add(e.val.Line, "%s: time_zone must not be empty (leave it out for UTC)", where)
			case s == "Local":
				p.add(e.val.Line, "%s: time_zone Local depends on the machine; name the zone, such as Europe/London", where)
			case err != nil:
				p.add(e.val.Line, "%s: unknown time_zone %q (want an IANA name such as Europe/London or UTC)", where, s)
			default:
				w.Location = loc
			}
		}
	}
	w.Text = dayText + " " + hourText + " " + w.Location.String()
	return w, len(p.problems.list) == before
}

// parseDay parses a day name of herd.yaml: mon … sun.
func parseDay(s string) (time.Weekday, bool) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if dayName(d) == s {
			return d, true
		}
	}
	return 0, false
}

// parseHours parses "HH:MM-HH:MM" into offsets from midnight. The end may
// be 24:00, and before the start (the window wraps past midnight), but not
// equal to it. It returns what is wrong, or "".
func parseHours(s string) (start, end time.Duration, msg string) {
	const want = "want HH:MM-HH:MM, such as 22:00-02:00 (24:00 may end a window)"
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, want
	}
	start, ok1 := parseClock(strings.TrimSpace(a), false)
	end, ok2 := parseClock(strings.TrimSpace(b), true)
	switch {
	case !ok1 || !ok2:
		return 0, 0, want
	case start == end:
		return 0, 0, "the window opens and closes at the same time (for a whole day write 00:00-24:00)"
	}
	return start, end, ""
}

// parseClock parses HH:MM, 00:00 to 23:59, or 24:00 when allow24.
func parseClock(s string, allow24 bool) (time.Duration, bool) {
	digit := func(i int) int {
		if s[i] < '0' || s[i] > '9' {
			return -100
		}
		return int(s[i] - '0')
	}
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	h, m := digit(0)*10+digit(1), digit(3)*10+digit(4)
	if h < 0 || m < 0 || m > 59 {
		return 0, false
	}
	if h > 23 && !(allow24 && h == 24 && m == 0) {
		return 0, false
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, true
}
