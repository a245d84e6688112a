package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/herdhq/herd/release"
	"github.com/herdhq/herd/source"
)

// Direction is which way a step goes.
type Direction string

// The directions of a step.
const (
	Up   Direction = "up"
	Down Direction = "down"
)

// Applied is one row of a database's ledger, as the planner sees it.
type Applied struct {
	ID       string
	Checksum string
	// Dirty is set while a migration is in progress or after it failed
	// part-way outside a transaction.
	Dirty bool
	// Resumable is set for a dirty migration that can carry on where it
	// stopped (a chunked one going up): it is not refused, but planned
	// again, up to carry on, or down (as if applied) when the target is
	// below it.
	Resumable bool
}

// Step is one migration to run in one direction.
type Step struct {
	Migration *source.Migration
	Direction Direction
}

// Plan is the path from a database's current version to a target.
type Plan struct {
	Target source.Target
	// From is the current version, nil when no version is complete.
	From *semver.Version
	To   *semver.Version
	// Steps run in order; empty when the database is already at To.
	Steps []Step
}

// Direction is the direction of the plan's steps, "" when there are none.
func (p *Plan) Direction() Direction {
	if len(p.Steps) == 0 {
		return ""
	}
	return p.Steps[0].Direction
}

// Options are the policies a plan must respect. The zero value is the
// strictest.
type Options struct {
	// Engine selects the engine's scripts ("sqlite", "postgres", "mysql").
	Engine string
	// AllowExperimental permits a pre-release target (2.1.0-dev) or one
	// listed in Experimental.
	AllowExperimental bool
	// Experimental lists versions declared experimental by their release.
	Experimental []*semver.Version
	// AllowOutOfOrder permits applying a migration older than one already
	// applied (a hotfix in v1.1.1 after the database reached v2.0.0).
	AllowOutOfOrder bool
	// Releases is the compatibility matrix and Features the tenant's
	// enabled features: together the brief's canMigrate, which refuses a
	// tenant target whose release (the one a tenant at that version is
	// on) lacks one of them. Nil Releases skips the check.
	Releases *release.Matrix
	Features []string
}

// Reason classifies a refusal.
type Reason string

// The reasons a plan is refused.
const (
	UnknownVersion   Reason = "unknown-version"
	Experimental     Reason = "experimental"
	Dirty            Reason = "dirty"
	UnknownApplied   Reason = "unknown-applied"
	ChecksumMismatch Reason = "checksum-mismatch"
	OutOfOrder       Reason = "out-of-order"
	DownMissing      Reason = "down-missing"
	DependencyUnmet  Reason = "dependency-unmet"
	NoScript         Reason = "no-script"
	MissingFeatures  Reason = "missing-features"
)

// RefusedError is a plan the planner will not make, with the reason.
type RefusedError struct {
	Reason Reason
	// Migration is the ID of the migration at fault, if one is.
	Migration string
	Msg       string
}

func (e *RefusedError) Error() string { return e.Msg }

func refuse(r Reason, migration, format string, args ...any) *RefusedError {
	return &RefusedError{Reason: r, Migration: migration, Msg: fmt.Sprintf(format, args...)}
}

// Current returns the highest version all of whose migrations (and all
// earlier ones) are applied, or nil when there is none.
func Current(migrations []*source.Migration, applied []Applied) *semver.Version {
	done := map[string]bool{}
	for _, a := range applied {
		done[a.ID] = !a.Dirty
	}
	var current *semver.Version
	for i, m := range migrations {
		if !done[m.ID()] {
			return current
		}
		if i+1 == len(migrations) || !migrations[i+1].Version.Equal(m.Version) {
			current = m.Version
		}
	}
	return current
}

// canMigrate refuses a tenant target whose release lacks one of the
// tenant's enabled features.
func canMigrate(t source.Target, to *semver.Version, opts Options) error {
	if t != source.Tenant || opts.Releases == nil || len(opts.Features) == 0 {
		return nil
	}
	r, ok := opts.Releases.OnTenant(to)
	if !ok {
		return refuse(MissingFeatures, "", "the tenant has features %s and v%s is below every release", strings.Join(opts.Features, ", "), to)
	}
	if missing := r.Missing(opts.Features); len(missing) > 0 {
		return refuse(MissingFeatures, "", "release %s lacks features the tenant has enabled: %s", r.Name, strings.Join(missing, ", "))
	}
	return nil
}

// Make plans the path for a database of target t whose ledger holds
// applied, to version to. It returns a *RefusedError when policy or the
// ledger forbids the path.
func Make(src *source.Source, t source.Target, applied []Applied, to *semver.Version, opts Options) (*Plan, error) {
	migrations := src.Migrations(t)
	versions := src.Versions(t)
	if !slices.ContainsFunc(versions, to.Equal) {
		return nil, refuse(UnknownVersion, "", "%s version v%s does not exist (known: %s)", t, to, versionList(versions))
	}
	if !opts.AllowExperimental && (to.Prerelease() != "" || slices.ContainsFunc(opts.Experimental, to.Equal)) {
		return nil, refuse(Experimental, "", "v%s is experimental and this environment does not allow experimental versions", to)
	}
	if err := canMigrate(t, to, opts); err != nil {
		return nil, err
	}
	if err := checkLedger(src, t, applied, opts.Engine); err != nil {
		return nil, err
	}
	p := &Plan{Target: t, From: Current(migrations, applied), To: to}
	done := map[string]bool{}
	var lastApplied *source.Migration
	for _, a := range applied {
		if a.Resumable && !src.Find(t, a.ID).Version.GreaterThan(to) {
			continue // planned again, and carried on where it stopped
		}
		// Above to, a resumable migration is rolled back as if applied:
		// its committed part is undone by its down script.
		done[a.ID] = true
		if m := src.Find(t, a.ID); lastApplied == nil || source.Compare(m, lastApplied) > 0 {
			lastApplied = m
		}
	}
	for _, m := range migrations {
		if m.Version.GreaterThan(to) || done[m.ID()] {
			continue
		}
		if lastApplied != nil && source.Compare(m, lastApplied) < 0 && !opts.AllowOutOfOrder {
			return nil, refuse(OutOfOrder, m.ID(), "%s is older than %s, which is already applied; allow out-of-order migrations to apply it", m.ID(), lastApplied.ID())
		}
		if _, ok := m.Up(opts.Engine); !ok && m.Go == nil {
			return nil, refuse(NoScript, m.ID(), "%s has no up script for %s", m.ID(), opts.Engine)
		}
		p.Steps = append(p.Steps, Step{Migration: m, Direction: Up})
	}
	for i := len(migrations) - 1; i >= 0; i-- {
		m := migrations[i]
		if !m.Version.GreaterThan(to) || !done[m.ID()] {
			continue
		}
		if len(p.Steps) > 0 && p.Steps[0].Direction == Up {
			return nil, refuse(OutOfOrder, m.ID(), "reaching v%s needs %s applied and %s rolled back; migrate the two directions separately", to, p.Steps[0].Migration.ID(), m.ID())
		}
		if !m.Reversible(opts.Engine) {
			return nil, refuse(DownMissing, m.ID(), "%s has no down migration, so the path to v%s is refused", m.ID(), to)
		}
		p.Steps = append(p.Steps, Step{Migration: m, Direction: Down})
	}
	if err := checkDepends(p, migrations, done); err != nil {
		return nil, err
	}
	return p, nil
}

// checkLedger refuses a ledger that is dirty, names migrations the source
// lacks, or records a checksum that no longer matches the file.
func checkLedger(src *source.Source, t source.Target, applied []Applied, engine string) error {
	for _, a := range applied {
		if a.Dirty && !a.Resumable {
			return refuse(Dirty, a.ID, "%s is dirty (it failed or was interrupted part-way); run herd repair", a.ID)
		}
		m := src.Find(t, a.ID)
		if m == nil {
			return refuse(UnknownApplied, a.ID, "applied migration %s is not in the source", a.ID)
		}
		if sum := m.Checksum(engine); sum != a.Checksum {
			return refuse(ChecksumMismatch, a.ID, "applied migration %s was changed: ledger checksum %s, file checksum %s", a.ID, a.Checksum, sum)
		}
	}
	return nil
}

// checkDepends refuses an up step whose dependency is neither applied nor
// earlier in the plan, and a down step that a migration staying applied
// depends on.
func checkDepends(p *Plan, migrations []*source.Migration, done map[string]bool) error {
	after := map[string]bool{}
	for id := range done {
		after[id] = true
	}
	for _, s := range p.Steps {
		after[s.Migration.ID()] = s.Direction == Up
	}
	for _, s := range p.Steps {
		m := s.Migration
		if s.Direction == Up {
			for _, dep := range m.Depends {
				if !after[dep] {
					return refuse(DependencyUnmet, m.ID(), "%s depends on %s, which is not applied", m.ID(), dep)
				}
			}
			continue
		}
		for _, o := range migrations {
			if after[o.ID()] && slices.Contains(o.Depends, m.ID()) {
				return refuse(DependencyUnmet, m.ID(), "%s cannot be rolled back: %s depends on it and stays applied", m.ID(), o.ID())
			}
		}
	}
	return nil
}

func versionList(vs []*semver.Version) string {
	if len(vs) == 0 {
		return "none"
	}
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = "v" + v.String()
	}
	return strings.Join(parts, ", ")
}
