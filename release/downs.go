package release

import (
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/herdhq/herd/source"
)

// Span is the way back from one release to an earlier one: going back runs
// the down script of every migration in it.
type Span struct {
	// From is the release one goes back from, To the release one goes
	// back to.
	From, To Release
	// Declared reports whether From names To as its rollback_point; when
	// false, From is not breaking and To is the release just before it.
	Declared bool
}

// Spans returns every way back the matrix promises: from each release with
// a rollback_point to that release (declared), and from each release that
// is neither breaking nor has a rollback_point to the release just before
// it (a compatible release, which tenants may be rolled back from).
func (m *Matrix) Spans() []Span {
	var out []Span
	for i, r := range m.releases {
		switch {
		case r.RollbackPoint != "":
			if to, ok := m.Find(r.RollbackPoint); ok {
				out = append(out, Span{From: r, To: to, Declared: true})
			}
		case !r.Breaking && i > 0:
			out = append(out, Span{From: r, To: m.releases[i-1]})
		}
	}
	return out
}

// Contains reports whether going back along the span runs migration mig
// backwards: whether mig's schema version is above To's schema version for
// its target and at most From's. Without a system schema on either side
// the system database does not move, and the span holds no system
// migration.
func (s Span) Contains(mig *source.Migration) bool {
	lo, hi := s.To.Tenant, s.From.Tenant
	if mig.Target == source.System {
		lo, hi = s.To.System, s.From.System
	}
	return lo != nil && hi != nil && mig.Version.GreaterThan(lo) && !mig.Version.GreaterThan(hi)
}

// lintDowns reports migrations without a down file for some engine the
// source serves: an error when a declared rollback_point's span holds the
// migration, a warning when only a compatible release's span does, when
// other migrations of its version folder have a down file for that engine,
// or when it has a down file for other engines.
func lintDowns(m *Matrix, src *source.Source, f *Findings) {
	spans := m.Spans()
	engines := src.Engines()
	for _, t := range []source.Target{source.System, source.Tenant} {
		migrations := src.Migrations(t)
		for _, mig := range migrations {
			var missing []string
			for _, e := range engines {
				if !mig.Reversible(e.Name()) {
					missing = append(missing, e.Name())
				}
			}
			if len(missing) == 0 {
				continue
			}
			what := fmt.Sprintf("%s migration %s has no down file", t, mig.ID())
			if len(missing) < len(engines) {
				what += " for " + strings.Join(missing, ", ")
			}
			at := func(to *[]source.Problem, format string, args ...any) {
				*to = append(*to, source.Problem{File: upFile(mig, engines), Line: 1,
					Msg: what + ": " + fmt.Sprintf(format, args...)})
			}
			fix := "add " + downFile(mig)
			if s, ok := span(spans, mig, true); ok {
				at(&f.Errors, "release %s names %s as its rollback_point, and going back to it runs this migration's down; %s",
					s.From.Name, s.To.Name, fix)
				continue
			}
			if s, ok := span(spans, mig, false); ok {
				at(&f.Warnings, "its release %s is not breaking, so tenants may be rolled back from it to %s, "+
					"which plan and migrate refuse without the down; %s, or mark %s breaking_changes", s.From.Name, s.To.Name, fix, s.From.Name)
				continue
			}
			if have, total := withDown(migrations, mig.Version, missing[0]), inFolder(migrations, mig.Version); have > 0 {
				at(&f.Warnings, "%d of the %d migrations in %s/v%s have one; %s", have, total, t, mig.Version, fix)
				continue
			}
			if len(missing) < len(engines) {
				at(&f.Warnings, "its other engines have one; %s", fix)
			}
		}
	}
}

// span returns the first span, declared or not, that holds mig.
func span(spans []Span, mig *source.Migration, declared bool) (Span, bool) {
	for _, s := range spans {
		if s.Declared == declared && s.Contains(mig) {
			return s, true
		}
	}
	return Span{}, false
}

// withDown counts the migrations at version v that have a down file for
// engine; inFolder counts those at v.
func withDown(ms []*source.Migration, v *semver.Version, engine string) int {
	n := 0
	for _, m := range ms {
		if m.Version.Equal(v) && m.Reversible(engine) {
			n++
		}
	}
	return n
}

func inFolder(ms []*source.Migration, v *semver.Version) int {
	n := 0
	for _, m := range ms {
		if m.Version.Equal(v) {
			n++
		}
	}
	return n
}

// upFile is where a problem with the migration as a whole is reported: its
// plain up file, else its first engine override, else (a Go migration)
// "go:" and its ID.
func upFile(mig *source.Migration, inUse []source.Engine) string {
	if s := upScripts(mig, inUse); len(s) > 0 {
		return s[0].File
	}
	return "go:" + mig.ID()
}

// downFile names the plain down file the migration lacks, beside its up
// file, or its Down function for a Go migration.
func downFile(mig *source.Migration) string {
	if mig.Go != nil {
		return "a Down function"
	}
	return fmt.Sprintf("%03d_%s.down.sql beside it", mig.Seq, mig.Name)
}
