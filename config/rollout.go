package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// The snapshot policies of rollout.snapshots: when a rollout takes a
// rollback point of a tenant before migrating it.
const (
	// SnapshotsAlways takes one before every tenant migration; a tenant
	// whose snapshot fails is not migrated.
	SnapshotsAlways = "always"
	// SnapshotsRequired takes one when the target release has
	// breaking_changes, and does not migrate a tenant whose snapshot
	// fails. It is the default.
	SnapshotsRequired = "required"
	// SnapshotsBreaking is the older spelling of SnapshotsRequired, still
	// accepted in herd.yaml; the parser stores SnapshotsRequired.
	SnapshotsBreaking = "breaking"
	// SnapshotsBestEffort takes one when the target release has
	// breaking_changes; a tenant whose snapshot fails is migrated anyway
	// when down migrations can take it back, and not migrated otherwise.
	SnapshotsBestEffort = "best_effort"
	// SnapshotsNever takes none; rollback relies on down migrations.
	SnapshotsNever = "never"
)

// MinLease is the shortest rollout.lease herd accepts: a runner heartbeats
// every lease/3, and a shorter lease would let a busy control database
// expire leases of runners that are alive.
const MinLease = 3 * time.Second

// Rollout is the rollout section of herd.yaml: how a rollout paces, guards
// and schedules its work. Parse fills every field, with the defaults of
// DefaultRollout for keys the file leaves out.
type Rollout struct {
	// Concurrency is how many tenants one runner migrates at once
	// (default 4); PerServer, how many of those on one server (default
	// Concurrency); BatchSize, how many tenants a batch holds (default
	// Concurrency): a runner waits for a batch to end only to pause
	// between batches. All are at least 1.
	Concurrency, PerServer, BatchSize int
	// PauseBetweenBatches is the wait between two batches of a wave
	// (default 0).
	PauseBetweenBatches time.Duration
	// Lease is how long a runner's claim on a tenant lasts without a
	// heartbeat; runners heartbeat every Lease/3 (default 30s, at least
	// MinLease).
	Lease time.Duration
	// TenantTimeout bounds one tenant's migration; a migration that runs
	// longer is rolled back (default 30m).
	TenantTimeout time.Duration
	// BakeTime is how long health probes keep running on a tenant after
	// its migration before it counts as done (default 0: probe once).
	BakeTime time.Duration
	// ProbeInterval is the time between two rounds of health probes
	// during BakeTime (default 10s, at least 1s).
	ProbeInterval time.Duration
	// SnapshotRetention is which snapshots herd keeps per tenant
	// (default: those taken in the last 7 days); herd applies it after taking a
	// snapshot, when a rollout completes, and on herd snapshot drop
	// --expired.
	SnapshotRetention Retention
	// FailureBudget is how many failures a wave tolerates before the
	// rollout halts (default: none, the first failure halts). A wave may
	// override it.
	FailureBudget Budget
	// Snapshots is when a rollout takes a snapshot of a tenant:
	// SnapshotsAlways, SnapshotsRequired (the default),
	// SnapshotsBestEffort or SnapshotsNever.
	Snapshots string
	// Waves are the declared waves, in order. Nil means one wave of every
	// selected tenant.
	Waves []Wave
}

// DefaultRollout returns the rollout settings of a herd.yaml without a
// rollout section. Code that builds a Config by hand should start from it:
// the zero Rollout has no concurrency and no lease.
func DefaultRollout() Rollout {
	return Rollout{
		Concurrency:       4,
		PerServer:         4,
		BatchSize:         4,
		Lease:             30 * time.Second,
		TenantTimeout:     30 * time.Minute,
		ProbeInterval:     10 * time.Second,
		SnapshotRetention: Retention{Age: 7 * 24 * time.Hour},
		Snapshots:         SnapshotsRequired,
	}
}

// WaveBudget returns the failure budget of w: its own when it declares
// one, else r.FailureBudget.
func (r Rollout) WaveBudget(w Wave) Budget {
	if w.FailureBudget != nil {
		return *w.FailureBudget
	}
	return r.FailureBudget
}

// Budget is a wave's failure budget: a count of failures, or a percentage
// of the wave's tenants. Percent is used when it is above 0, else Count;
// the zero Budget halts at the first failure.
type Budget struct {
	Count   int
	Percent float64
}

// Allowed returns how many of a wave of waveSize tenants may fail before
// the budget is exceeded.
func (b Budget) Allowed(waveSize int) int {
	if b.Percent > 0 {
		return int(b.Percent * float64(waveSize) / 100)
	}
	return b.Count
}

// Exceeded reports whether failures in a wave of waveSize tenants exceed
// the budget: failures > Count, or failures > Percent% of waveSize.
func (b Budget) Exceeded(failures, waveSize int) bool {
	if b.Percent > 0 {
		return float64(failures)*100 > b.Percent*float64(waveSize)
	}
	return failures > b.Count
}

// String renders the budget as herd.yaml writes it: "2" or "10%".
func (b Budget) String() string {
	if b.Percent > 0 {
		return strconv.FormatFloat(b.Percent, 'f', -1, 64) + "%"
	}
	return strconv.Itoa(b.Count)
}

// Wave is one wave of a rollout. It selects its tenants from those that
// earlier waves left by at most one of Tenants, Tiers, Sizes and Percent;
// a wave that selects by none (only the last may) takes every tenant
// left.
type Wave struct {
	// Name names the wave in events and output: a-z, 0-9, _ and -,
	// unique among the waves.
	Name string
	// Tenants are tenant codes, such as the beta or canary tenants.
	Tenants []string
	// Tiers are tenant tiers.
	Tiers []string
	// Sizes are size classes, by the tenants' last analysis (see
	// LargeTenants).
	Sizes []SizeClass
	// Percent selects a stable share, in (0, 100], of the tenants left.
	Percent float64
	// FailureBudget overrides the rollout's failure budget for this wave;
	// nil keeps it.
	FailureBudget *Budget
	// Strategy, if set, is how the wave's tenants are migrated; ""
	// leaves it to large_tenants.strategy, else in place.
	Strategy Strategy
	// Line is the line of the wave in the file.
	Line int
}

// rollout reads the rollout section, applying the defaults.
func (p *parser) rollout(n *yaml.Node) Rollout {
	r := DefaultRollout()
	n = deref(n)
	if isNull(n) {
		return r
	}
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, "rollout: want a mapping of rollout settings, got %s", kindName(n))
		return r
	}
	f := p.fields(n, "rollout", "concurrency", "per_server", "batch_size",
		"pause_between_batches", "failure_budget", "lease", "tenant_timeout",
		"bake_time", "probe_interval", "snapshots", "snapshot_retention", "waves")
	set := func(key string) (*yaml.Node, bool) {
		e, ok := f[key]
		if !ok || isNull(deref(e.val)) {
			return nil, false
		}
		return e.val, true
	}
	count := func(key string, v *int) {
		if n, ok := set(key); ok {
			if c, ok := p.positive(n, "rollout."+key); ok {
				*v = c
			}
		}
	}
	count("concurrency", &r.Concurrency)
	r.PerServer, r.BatchSize = r.Concurrency, r.Concurrency
	count("per_server", &r.PerServer)
	count("batch_size", &r.BatchSize)

	duration := func(key string, v *time.Duration, least time.Duration) {
		if n, ok := set(key); ok {
			if d, ok := p.duration(n, "rollout."+key, least); ok {
				*v = d
			}
		}
	}
	duration("pause_between_batches", &r.PauseBetweenBatches, 0)
	duration("lease", &r.Lease, MinLease)
	duration("tenant_timeout", &r.TenantTimeout, time.Second)
	duration("bake_time", &r.BakeTime, 0)
	duration("probe_interval", &r.ProbeInterval, time.Second)

	if n, ok := set("failure_budget"); ok {
		if b, ok := p.budget(n, "rollout.failure_budget"); ok {
			r.FailureBudget = b
		}
	}
	retainLine := 0
	if n, ok := set("snapshots"); ok {
		retainLine = p.snapshots(n, &r)
	}
	// snapshot_retention is the older spelling of snapshots.retain.age.
	if n, ok := set("snapshot_retention"); ok {
		if retainLine > 0 {
			p.add(f["snapshot_retention"].key.Line, "rollout.snapshot_retention: rollout.snapshots.retain (line %d) sets the retention; keep only one of them", retainLine)
		} else if d, ok := p.age(n, "rollout.snapshot_retention"); ok {
			r.SnapshotRetention = Retention{Age: d}
		}
	}
	if n, ok := set("waves"); ok {
		r.Waves = p.waves(n)
	}
	return r
}

// budget reads a failure budget: a count such as 2 or a percentage such
// as 10%. It reports false after recording a problem.
func (p *parser) budget(n *yaml.Node, where string) (Budget, bool) {
	n = deref(n)
	const want = "want a count such as 2 or a percentage such as 10%"
	if n.Kind != yaml.ScalarNode || isNull(n) {
		p.add(n.Line, "%s: %s, got %s", where, want, kindName(n))
		return Budget{}, false
	}
	s := strings.TrimSpace(n.Value)
	if num, ok := strings.CutSuffix(s, "%"); ok {
		pc, ok := percentage(num)
		if !ok || pc > 100 {
			p.add(n.Line, "%s: want a percentage from 0%% to 100%%, got %q", where, n.Value)
			return Budget{}, false
		}
		return Budget{Percent: pc}, true
	}
	c, err := strconv.Atoi(s)
	if err != nil {
		p.add(n.Line, "%s: %s, got %q", where, want, n.Value)
		return Budget{}, false
	}
	if c < 0 {
		p.add(n.Line, "%s: must not be negative, got %d", where, c)
		return Budget{}, false
	}
	return Budget{Count: c}, true
}

// percentage parses a finite, non-negative decimal number.
func percentage(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return 0, false
	}
	return f, true
}

// waves reads rollout.waves and checks the waves against each other: names
// unique, no tenant or tier in two waves, only the last wave without a
// selector.
func (p *parser) waves(n *yaml.Node) []Wave {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		p.add(n.Line, "rollout.waves: want a list of waves, got %s", kindName(n))
		return nil
	}
	var out []Wave
	names := map[string]int{}      // wave name → line
	tenants := map[string]string{} // tenant code → wave name
	tiers := map[string]string{}   // tier → wave name
	sizes := map[string]string{}   // size class → wave name
	for i, item := range n.Content {
		item = deref(item)
		where := fmt.Sprintf("rollout.waves[%d]", i)
		if item.Kind != yaml.MappingNode {
			p.add(item.Line, "%s: want a mapping with name and tenants, tiers, sizes or percent, got %s", where, kindName(item))
			continue
		}
		w := Wave{Line: item.Line}
		f := p.fields(item, where, "name", "tenants", "tiers", "sizes", "percent", "failure_budget", "strategy")
		if e, ok := f["name"]; !ok {
			p.add(item.Line, "%s: name is required", where)
		} else if s, ok := p.str(e.val, where+".name"); ok {
			switch first, dup := names[s]; {
			case s == "":
				p.add(e.val.Line, "%s: name must not be empty", where)
			case !validName(s, "-"):
				p.add(e.val.Line, "%s: wave name %q: use only a-z, 0-9, _ and -", where, s)
			case dup:
				p.add(e.val.Line, "%s: duplicate wave name %q (first at line %d)", where, s, first)
			default:
				names[s] = e.val.Line
				w.Name = s
				where = "rollout.waves." + s
			}
		}

		var selectors []string
		for _, key := range []string{"tenants", "tiers", "sizes", "percent"} {
			if e, ok := f[key]; ok && !isNull(deref(e.val)) {
				selectors = append(selectors, key)
			}
		}
		if len(selectors) > 1 {
			p.add(item.Line, "%s: select tenants by one of tenants, tiers, sizes or percent, not by %s", where, strings.Join(selectors, " and "))
		}
		if e, ok := f["tenants"]; ok && !isNull(deref(e.val)) {
			w.Tenants = p.waveMembers(e.val, where+".tenants", "tenant code", checkCode, tenants, w.Name)
		}
		if e, ok := f["tiers"]; ok && !isNull(deref(e.val)) {
			w.Tiers = p.waveMembers(e.val, where+".tiers", "tier", nil, tiers, w.Name)
		}
		if e, ok := f["sizes"]; ok && !isNull(deref(e.val)) {
			for _, c := range p.waveMembers(e.val, where+".sizes", "size class", checkSizeClass, sizes, w.Name) {
				w.Sizes = append(w.Sizes, SizeClass(c))
			}
		}
		if e, ok := f["percent"]; ok && !isNull(deref(e.val)) {
			w.Percent = p.wavePercent(e.val, where+".percent")
		}
		if e, ok := f["failure_budget"]; ok && !isNull(deref(e.val)) {
			if b, ok := p.budget(e.val, where+".failure_budget"); ok {
				w.FailureBudget = &b
			}
		}
		if e, ok := f["strategy"]; ok && !isNull(deref(e.val)) {
			w.Strategy = p.strategy(e.val, where+".strategy")
		}
		if len(selectors) == 0 && i < len(n.Content)-1 {
			p.add(item.Line, "%s: only the last wave may leave out tenants, tiers, sizes and percent (such a wave takes every tenant left)", where)
		}
		out = append(out, w)
	}
	return out
}

// waveMembers reads a wave's tenants or tiers, reporting an empty list and
// members that an earlier wave already selects (taken maps each member to
// its wave, and is updated).
func (p *parser) waveMembers(n *yaml.Node, where, noun string, check func(string) string, taken map[string]string, wave string) []string {
	var out []string
	for _, m := range p.scalars(n, where, noun, check) {
		if other, ok := taken[m]; ok {
			p.add(memberLine(n, m), "%s: %s %q is already in wave %q", where, noun, m, other)
			continue
		}
		taken[m] = wave
		out = append(out, m)
	}
	if n = deref(n); n.Kind == yaml.SequenceNode && len(n.Content) == 0 {
		p.add(n.Line, "%s: list at least one %s, or leave the key out", where, noun)
	}
	return out
}

// memberLine returns the line of the item s in the list n.
func memberLine(n *yaml.Node, s string) int {
	n = deref(n)
	for _, item := range n.Content {
		if item = deref(item); item.Value == s {
			return item.Line
		}
	}
	return n.Line
}

// wavePercent reads a wave's percent: a number in (0, 100], written 25 or
// 25%.
func (p *parser) wavePercent(n *yaml.Node, where string) float64 {
	n = deref(n)
	if n.Kind == yaml.ScalarNode {
		pc, ok := percentage(strings.TrimSuffix(strings.TrimSpace(n.Value), "%"))
		if ok && pc > 0 && pc <= 100 {
			return pc
		}
	}
	p.add(n.Line, "%s: want a percentage above 0 and at most 100, such as 25, got %s", where, scalarText(n))
	return 0
}

// checkSizeClass returns what is wrong with a wave's size class, or "".
func checkSizeClass(c string) string {
	for _, known := range SizeClasses() {
		if SizeClass(c) == known {
			return ""
		}
	}
	return fmt.Sprintf("size class %q: want large, small or unknown", c)
}

// checkCode returns what is wrong with a tenant code, or "". It is the rule
// of herd.ValidateTenantCode, which config cannot import.
func checkCode(code string) string {
	const maxCode = 48
	switch {
	case len(code) > maxCode:
		return fmt.Sprintf("tenant code %q is %d characters; the limit is %d", code, len(code), maxCode)
	case !validName(code, "") || code[0] == '_':
		return fmt.Sprintf("tenant code %q: use lower-case letters, digits and underscores only, starting with a letter or digit", code)
	}
	return ""
}
