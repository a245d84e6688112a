package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Retention says which of a tenant's snapshots herd keeps: its newest
// Count, none older than Age. A snapshot goes when either limit is passed;
// a zero limit is no limit, and the zero Retention keeps every snapshot.
type Retention struct {
	// Count is how many of a tenant's newest snapshots are kept (0: any
	// number).
	Count int
	// Age is how long a snapshot is kept after it is taken (0: for ever).
	Age time.Duration
}

// Keeps reports whether r keeps a snapshot that is the tenant's rank-th
// newest (0 for its newest) and was taken age ago.
func (r Retention) Keeps(rank int, age time.Duration) bool {
	return (r.Count == 0 || rank < r.Count) && (r.Age == 0 || age <= r.Age)
}

// String renders r as herd.yaml writes it: "{count: 3, age: 30d}", "{}"
// when it keeps everything.
func (r Retention) String() string {
	var parts []string
	if r.Count > 0 {
		parts = append(parts, "count: "+strconv.Itoa(r.Count))
	}
	if r.Age > 0 {
		parts = append(parts, "age: "+FormatAge(r.Age))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// ParseAge reads an age such as 30d, 12h or 1h30m: a whole number of days
// with the unit d, or a Go duration. It fails on anything else and on a
// negative age.
func ParseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n > int(maxAgeDays) {
			return 0, fmt.Errorf("%q is not an age (want a number and a unit: 30d, 12h, 1h30m)", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%q is not an age (want a number and a unit: 30d, 12h, 1h30m)", s)
		}
	}
	if d < 0 {
		return 0, errors.New("must not be negative, got " + s)
	}
	return d, nil
}

// maxAgeDays keeps a number of days inside time.Duration.
const maxAgeDays = time.Duration(1<<63-1) / (24 * time.Hour)

// FormatAge renders an age in whole days where it is whole days ("30d"),
// else as a Go duration ("36h0m0s").
func FormatAge(d time.Duration) string {
	const day = 24 * time.Hour
	if d > 0 && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return d.String()
}

// snapshots reads rollout.snapshots: either the policy alone
// ("breaking") or a mapping {when: POLICY, retain: {count: N, age: AGE}}.
// It returns the line of retain, 0 when the file does not set it.
func (p *parser) snapshots(n *yaml.Node, r *Rollout) (retainLine int) {
	n = deref(n)
	if n.Kind == yaml.ScalarNode {
		p.snapshotPolicy(n, "rollout.snapshots", r)
		return 0
	}
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, "rollout.snapshots: want always, breaking or never, or a mapping {when: …, retain: {count: …, age: …}}, got %s", kindName(n))
		return 0
	}
	f := p.fields(n, "rollout.snapshots", "when", "retain")
	if e, ok := f["when"]; ok && !isNull(deref(e.val)) {
		p.snapshotPolicy(e.val, "rollout.snapshots.when", r)
	}
	e, ok := f["retain"]
	if !ok || isNull(deref(e.val)) {
		return 0
	}
	r.SnapshotRetention = p.retention(e.val, "rollout.snapshots.retain")
	return e.key.Line
}

// snapshotPolicy reads always, breaking or never into r.Snapshots.
func (p *parser) snapshotPolicy(n *yaml.Node, where string, r *Rollout) {
	s, ok := p.str(n, where)
	if !ok {
		return
	}
	switch s {
	case SnapshotsAlways, SnapshotsBreaking, SnapshotsNever:
		r.Snapshots = s
	default:
		p.add(deref(n).Line, "%s: want always, breaking or never, got %q", where, s)
	}
}

// retention reads {count: N, age: AGE}; a key left out sets no limit.
func (p *parser) retention(n *yaml.Node, where string) Retention {
	var r Retention
	f := p.fields(n, where, "count", "age")
	if e, ok := f["count"]; ok && !isNull(deref(e.val)) {
		if c, ok := p.positive(e.val, where+".count"); ok {
			r.Count = c
		}
	}
	if e, ok := f["age"]; ok && !isNull(deref(e.val)) {
		if d, ok := p.age(e.val, where+".age"); ok {
			if d == 0 {
				p.add(deref(e.val).Line, "%s.age: must be above 0 (leave age out to keep snapshots of any age)", where)
			}
			r.Age = d
		}
	}
	return r
}

// age reads an age such as 30d or 12h (see ParseAge). It reports false
// after recording a problem.
func (p *parser) age(n *yaml.Node, where string) (time.Duration, bool) {
	n = deref(n)
	if n.Kind != yaml.ScalarNode || isNull(n) {
		p.add(n.Line, "%s: want an age such as 30d, 12h or 1h30m, got %s", where, kindName(n))
		return 0, false
	}
	d, err := ParseAge(n.Value)
	if err != nil {
		p.add(n.Line, "%s: %v", where, err)
		return 0, false
	}
	return d, true
}
