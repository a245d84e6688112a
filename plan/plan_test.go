package plan_test

import (
	"testing"
	"testing/fstest"

	"github.com/Masterminds/semver/v3"
	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/plan"
	"github.com/herdhq/herd/release"
	"github.com/herdhq/herd/source"
)

func file(body string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(body)} }

// fixture: v1.0.0 (001, 002), v1.1.0 (003, no down), v2.0.0 (004 depends on
// 002), v2.1.0-dev (005).
func fixture(t *testing.T) *source.Source {
	t.Helper()
	src, err := source.Load(fstest.MapFS{
		"tenant/v1.0.0/001_a.up.sql":       file("CREATE TABLE a (id INT);"),
		"tenant/v1.0.0/001_a.down.sql":     file("DROP TABLE a;"),
		"tenant/v1.0.0/002_b.up.sql":       file("CREATE TABLE b (id INT);"),
		"tenant/v1.0.0/002_b.down.sql":     file("DROP TABLE b;"),
		"tenant/v1.1.0/003_c.up.sql":       file("CREATE TABLE c (id INT);"),
		"tenant/v2.0.0/004_d.up.sql":       file("-- herd:depends v1.0.0/002_b\nCREATE TABLE d (id INT);"),
		"tenant/v2.0.0/004_d.down.sql":     file("DROP TABLE d;"),
		"tenant/v2.1.0-dev/005_e.up.sql":   file("CREATE TABLE e (id INT);"),
		"tenant/v2.1.0-dev/005_e.down.sql": file("DROP TABLE e;"),
	}, herdtest.SourceEngines("sqlite"), nil)
	require.NoError(t, err)
	return src
}

func applied(src *source.Source, ids ...string) []plan.Applied {
	out := make([]plan.Applied, len(ids))
	for i, id := range ids {
		out[i] = plan.Applied{ID: id, Checksum: src.Find(source.Tenant, id).Checksum("sqlite")}
	}
	return out
}

func steps(p *plan.Plan) []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, string(s.Direction)+" "+s.Migration.ID())
	}
	return out
}

func TestMake(t *testing.T) {
	t.Parallel()
	src := fixture(t)
	opts := plan.Options{Engine: "sqlite"}
	// v1.1.0 adds fees, v2.0.0 adds sms and removes attendance (added by
	// v1.0.0); undeclared v2.1.0-dev inherits v2.0.0's.
	matrix := release.New([]config.Release{
		{Name: "v1.0.0", Version: semver.MustParse("1.0.0"), System: semver.MustParse("1.0.0"), Tenant: semver.MustParse("1.0.0"), Features: []string{"attendance"}},
		{Name: "v1.1.0", Version: semver.MustParse("1.1.0"), System: semver.MustParse("1.1.0"), Tenant: semver.MustParse("1.1.0"), Features: []string{"fees"}},
		{Name: "v2.0.0", Version: semver.MustParse("2.0.0"), System: semver.MustParse("2.0.0"), Tenant: semver.MustParse("2.0.0"), Features: []string{"sms"}, Removes: []string{"attendance"}},
	}, src)
	features := func(f ...string) *plan.Options {
		return &plan.Options{Engine: "sqlite", AllowExperimental: true, Releases: matrix, Features: f}
	}
	tests := []struct {
		name     string
		applied  []plan.Applied
		to       string
		opts     *plan.Options
		want     []string
		from     string
		refusal  plan.Reason
		contains string
	}{
		{name: "empty to v1.1.0", to: "1.1.0", want: []string{"up v1.0.0/001_a", "up v1.0.0/002_b", "up v1.1.0/003_c"}},
		{name: "partly applied counts no version", applied: applied(src, "v1.0.0/001_a"), to: "1.0.0",
			want: []string{"up v1.0.0/002_b"}},
		{name: "at target does nothing", applied: applied(src, "v1.0.0/001_a", "v1.0.0/002_b"), to: "1.0.0", from: "1.0.0"},
		{name: "down from v2.0.0 to v1.1.0", applied: applied(src, "v1.0.0/001_a", "v1.0.0/002_b", "v1.1.0/003_c", "v2.0.0/004_d"),
			to: "1.1.0", from: "2.0.0", want: []string{"down v2.0.0/004_d"}},
		{name: "down through a migration without down", applied: applied(src, "v1.0.0/001_a", "v1.0.0/002_b", "v1.1.0/003_c"),
			to: "1.0.0", refusal: plan.DownMissing, contains: "v1.1.0/003_c has no down migration"},
		{name: "unknown version", to: "3.0.0", refusal: plan.UnknownVersion, contains: "tenant version v3.0.0 does not exist (known: v1.0.0, v1.1.0, v2.0.0, v2.1.0-dev)"},
		{name: "experimental refused", to: "2.1.0-dev", refusal: plan.Experimental},
		{name: "experimental allowed", to: "2.1.0-dev", opts: &plan.Options{Engine: "sqlite", AllowExperimental: true},
			want: []string{"up v1.0.0/001_a", "up v1.0.0/002_b", "up v1.1.0/003_c", "up v2.0.0/004_d", "up v2.1.0-dev/005_e"}},
		{name: "declared experimental refused", to: "2.0.0", opts: &plan.Options{Engine: "sqlite", Experimental: []*semver.Version{semver.MustParse("2.0.0")}},
			refusal: plan.Experimental},
		{name: "checksum mismatch", applied: []plan.Applied{{ID: "v1.0.0/001_a", Checksum: "0123"}}, to: "1.0.0",
			refusal: plan.ChecksumMismatch, contains: "applied migration v1.0.0/001_a was changed: ledger checksum 0123, file checksum " + src.Find(source.Tenant, "v1.0.0/001_a").Checksum("sqlite")},
		{name: "dirty", applied: []plan.Applied{{ID: "v1.0.0/001_a", Dirty: true, Checksum: applied(src, "v1.0.0/001_a")[0].Checksum}}, to: "1.0.0",
			refusal: plan.Dirty, contains: "herd repair"},
		{name: "applied migration not in source", applied: []plan.Applied{{ID: "v0.9.0/000_gone"}}, to: "1.0.0", refusal: plan.UnknownApplied},
		{name: "out of order hotfix refused", applied: applied(src, "v1.0.0/001_a", "v1.0.0/002_b", "v2.0.0/004_d"), to: "2.0.0",
			refusal: plan.OutOfOrder, contains: "v1.1.0/003_c is older than v2.0.0/004_d"},
		{name: "out of order hotfix allowed", applied: applied(src, "v1.0.0/001_a", "v1.0.0/002_b", "v2.0.0/004_d"), to: "2.0.0",
			opts: &plan.Options{Engine: "sqlite", AllowOutOfOrder: true}, want: []string{"up v1.1.0/003_c"}, from: "1.0.0"},
		{name: "canMigrate: every feature in the release", to: "1.1.0", opts: features("fees", "attendance"),
			want: []string{"up v1.0.0/001_a", "up v1.0.0/002_b", "up v1.1.0/003_c"}},
		{name: "canMigrate: a feature the release lacks", to: "1.0.0", opts: features("fees", "attendance", "zz"),
			refusal: plan.MissingFeatures, contains: "release v1.0.0 lacks features the tenant has enabled: fees, zz"},
		{name: "canMigrate: a feature a later release removes", to: "2.0.0", opts: features("attendance"),
			refusal: plan.MissingFeatures, contains: "release v2.0.0 lacks features the tenant has enabled: attendance"},
		{name: "canMigrate: an undeclared release inherits", to: "2.1.0-dev", opts: features("sms", "fees"),
			want: []string{"up v1.0.0/001_a", "up v1.0.0/002_b", "up v1.1.0/003_c", "up v2.0.0/004_d", "up v2.1.0-dev/005_e"}},
		{name: "canMigrate: no features, no check", to: "2.0.0", opts: features(),
			want: []string{"up v1.0.0/001_a", "up v1.0.0/002_b", "up v1.1.0/003_c", "up v2.0.0/004_d"}},
		{name: "down a dependency that stays needed", applied: applied(src, "v1.0.0/001_a", "v1.0.0/002_b", "v2.0.0/004_d"), to: "1.0.0",
			opts: &plan.Options{Engine: "sqlite", AllowOutOfOrder: true}, from: "1.0.0", want: []string{"down v2.0.0/004_d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := opts
			if tt.opts != nil {
				o = *tt.opts
			}
			p, err := plan.Make(src, source.Tenant, tt.applied, semver.MustParse(tt.to), o)
			if tt.refusal != "" {
				var refused *plan.RefusedError
				require.ErrorAs(t, err, &refused)
				require.Equal(t, tt.refusal, refused.Reason)
				require.Contains(t, err.Error(), tt.contains)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, steps(p))
			require.Equal(t, tt.from, versionString(p.From))
		})
	}
}

func TestRollbackOrderKeepsDependenciesMet(t *testing.T) {
	t.Parallel()
	src, err := source.Load(fstest.MapFS{
		"tenant/v1.0.0/001_a.up.sql":   file("SELECT 1;"),
		"tenant/v1.0.0/001_a.down.sql": file("SELECT 1;"),
		"tenant/v1.1.0/002_b.up.sql":   file("-- herd:depends v1.0.0/001_a\nSELECT 1;"),
		"tenant/v1.1.0/002_b.down.sql": file("SELECT 1;"),
	}, herdtest.SourceEngines("sqlite"), nil)
	require.NoError(t, err)
	// 002 applied out of order without 001, then asked to roll 001 back: 002 needs it.
	_, err = plan.Make(src, source.Tenant, []plan.Applied{
		{ID: "v1.0.0/001_a", Checksum: src.Find(source.Tenant, "v1.0.0/001_a").Checksum("sqlite")},
		{ID: "v1.1.0/002_b", Checksum: src.Find(source.Tenant, "v1.1.0/002_b").Checksum("sqlite")},
	}, semver.MustParse("1.0.0"), plan.Options{Engine: "sqlite"})
	require.NoError(t, err, "rolling back 002 first keeps the order valid")
}

func TestCurrent(t *testing.T) {
	t.Parallel()
	src := fixture(t)
	ms := src.Migrations(source.Tenant)
	require.Nil(t, plan.Current(ms, nil))
	require.Nil(t, plan.Current(ms, applied(src, "v1.0.0/001_a")))
	require.Equal(t, "1.0.0", plan.Current(ms, applied(src, "v1.0.0/001_a", "v1.0.0/002_b")).String())
	require.Equal(t, "1.0.0", plan.Current(ms, applied(src, "v1.0.0/001_a", "v1.0.0/002_b", "v2.0.0/004_d")).String(),
		"a gap at v1.1.0 caps the version")
}

func versionString(v *semver.Version) string {
	if v == nil {
		return ""
	}
	return v.String()
}

// A resumable dirty migration is planned again: up, to carry on, when the
// target is at or above it; down, as if applied, when it is below.
func TestResumable(t *testing.T) {
	t.Parallel()
	src := fixture(t)
	ledger := applied(src, "v1.0.0/001_a", "v1.0.0/002_b", "v1.1.0/003_c", "v2.0.0/004_d")
	ledger[3].Dirty, ledger[3].Resumable = true, true
	up, err := plan.Make(src, source.Tenant, ledger, semver.MustParse("2.0.0"), plan.Options{Engine: "sqlite"})
	require.NoError(t, err)
	require.Equal(t, []string{"up v2.0.0/004_d"}, steps(up))
	require.Equal(t, "1.1.0", up.From.String())
	down, err := plan.Make(src, source.Tenant, ledger, semver.MustParse("1.1.0"), plan.Options{Engine: "sqlite"})
	require.NoError(t, err)
	require.Equal(t, []string{"down v2.0.0/004_d"}, steps(down))
	ledger[3].Resumable = false
	_, err = plan.Make(src, source.Tenant, ledger, semver.MustParse("2.0.0"), plan.Options{Engine: "sqlite"})
	var refused *plan.RefusedError
	require.ErrorAs(t, err, &refused)
	require.Equal(t, plan.Dirty, refused.Reason)
}
