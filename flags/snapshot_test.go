package flags_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/flags"
)

// snapshotBundle is a snapshot of the flag and two others, with a
// tenant on every rule path of the flag and one override.
type snapshotBundle struct {
	declared  []config.Flag
	tenants   []flags.Tenant
	overrides map[string]map[string]flags.Override
	snap      *flags.Snapshot
}

func snapshotSetup(t testing.TB) *snapshotBundle {
	t.Helper()
	b := &snapshotBundle{
		declared: []config.Flag{
			{Name: "reports", RequiredVersion: v("1.0.0"), RolloutPercentage: 100},
			fees,
			{Name: "audit_trail", RequiredVersion: v("1.0.0")},
		},
		tenants: []flags.Tenant{
			{Code: "sunrise", Tier: "premium", Version: v("2.0.0")},
			{Code: "st_marys", Tier: "premium", Version: v("2.0.0")},
			{Code: "demo_trust", Tier: "premium", Version: v("2.0.0")},
			{Code: "northgate", Tier: "basic", Version: v("2.0.0")},
			{Code: "oakwood", Tier: "premium", Version: v("1.1.0")},
			{Code: "hillcrest", Tier: "enterprise", Version: v("2.1.0")},
			{Code: "fresh"}, // never migrated
		},
		overrides: map[string]map[string]flags.Override{
			"enhanced_fee_system": {"hillcrest": flags.OverrideOn},
			"reports":             {},
		},
	}
	b.snap = flags.NewSnapshot(b.declared, b.tenants, b.overrides)
	return b
}

func TestSnapshot(t *testing.T) {
	t.Parallel()
	b := snapshotSetup(t)
	snap := b.snap

	require.Equal(t, len(b.tenants), snap.Len())
	require.Equal(t, 3, snap.FlagCount())
	var names []string
	for _, fl := range snap.Flags() {
		names = append(names, fl.Name)
	}
	require.Equal(t, []string{"audit_trail", "enhanced_fee_system", "reports"}, names, "sorted by name")

	// The snapshot answers as Evaluate does on what it was given.
	for _, tn := range b.tenants {
		all, err := snap.EvaluateAll(tn.Code)
		require.NoError(t, err)
		require.Len(t, all, 3)
		for _, got := range all {
			fl, ok := snap.Flag(got.Flag)
			require.True(t, ok)
			require.Equal(t, flags.Evaluate(fl, tn, b.overrides[fl.Name][tn.Code]), got, "%s for %s", got.Flag, tn.Code)
			one, err := snap.Evaluate(got.Flag, tn.Code)
			require.NoError(t, err)
			require.Equal(t, got, one)
			on, reason, err := snap.Enabled(got.Flag, tn.Code)
			require.NoError(t, err)
			require.Equal(t, got.Enabled, on)
			require.Equal(t, got.Reason, reason)
		}
	}
	r, err := snap.Evaluate("enhanced_fee_system", "hillcrest")
	require.NoError(t, err)
	require.Equal(t, flags.ReasonOverrideOn, r.Reason)
	require.Equal(t, flags.OverrideOn, snap.Override("enhanced_fee_system", "hillcrest"))
	require.Equal(t, flags.OverrideNone, snap.Override("enhanced_fee_system", "sunrise"))
	require.Equal(t, flags.OverrideNone, snap.Override("no_such_flag", "sunrise"))
	tn, ok := snap.Tenant("oakwood")
	require.True(t, ok)
	require.Equal(t, "1.1.0", tn.Version.String())
	_, ok = snap.Tenant("nobody")
	require.False(t, ok)

	// Unknown names are errors that say what was asked.
	_, err = snap.Evaluate("no_such_flag", "sunrise")
	require.ErrorIs(t, err, flags.ErrFlagNotFound)
	require.EqualError(t, err, `flag "no_such_flag": flag not found (herd.yaml declares audit_trail, enhanced_fee_system, reports)`)
	_, _, err = snap.Enabled("no_such_flag", "sunrise")
	require.ErrorIs(t, err, flags.ErrFlagNotFound)
	_, err = snap.Evaluate("reports", "nobody")
	require.ErrorIs(t, err, flags.ErrTenantNotFound)
	require.EqualError(t, err, `tenant "nobody": tenant not found`)
	_, _, err = snap.Enabled("reports", "nobody")
	require.ErrorIs(t, err, flags.ErrTenantNotFound)
	_, err = snap.EvaluateAll("nobody")
	require.ErrorIs(t, err, flags.ErrTenantNotFound)
}

// NewSnapshot copies what it keeps: changing its arguments afterwards
// changes nothing, nor does changing what Flags returns.
func TestSnapshotIsImmutable(t *testing.T) {
	t.Parallel()
	b := snapshotSetup(t)
	before, err := b.snap.EvaluateAll("hillcrest")
	require.NoError(t, err)

	b.declared[1].RolloutPercentage = 100
	b.declared[0] = config.Flag{Name: "replaced"}
	b.tenants[5].Tier = "basic"
	b.overrides["enhanced_fee_system"]["hillcrest"] = flags.OverrideOff
	b.overrides["reports"] = map[string]flags.Override{"hillcrest": flags.OverrideOff}
	fl := b.snap.Flags()
	fl[0].Name = "changed"

	after, err := b.snap.EvaluateAll("hillcrest")
	require.NoError(t, err)
	require.Equal(t, before, after)
	_, ok := b.snap.Flag("replaced")
	require.False(t, ok)
	require.Equal(t, "audit_trail", b.snap.Flags()[0].Name)
}

func TestSnapshotLaterDuplicateWins(t *testing.T) {
	t.Parallel()
	snap := flags.NewSnapshot(
		[]config.Flag{{Name: "x", RequiredVersion: v("1.0.0")}, {Name: "x", RequiredVersion: v("1.0.0"), RolloutPercentage: 100}},
		[]flags.Tenant{{Code: "a", Version: v("1.0.0")}, {Code: "a", Version: v("0.9.0")}},
		nil)
	require.Equal(t, 1, snap.FlagCount())
	require.Equal(t, 1, snap.Len())
	r, err := snap.Evaluate("x", "a")
	require.NoError(t, err)
	require.Equal(t, flags.ReasonVersionGate, r.Reason, "the later tenant")
	fl, _ := snap.Flag("x")
	require.Equal(t, 100.0, fl.RolloutPercentage, "the later flag")
}

// TestSnapshotDoesNotAllocate checks the application's path: finding a
// flag and a tenant and evaluating, on every rule path.
func TestSnapshotDoesNotAllocate(t *testing.T) {
	snap := snapshotSetup(t).snap
	for _, code := range []string{"sunrise", "st_marys", "demo_trust", "northgate", "oakwood", "hillcrest", "fresh"} {
		allocs := testing.AllocsPerRun(100, func() {
			snap.Evaluate("enhanced_fee_system", code) //nolint:errcheck // known names
			snap.Enabled("enhanced_fee_system", code)  //nolint:errcheck // known names
			snap.Tenant(code)
			snap.Flag("enhanced_fee_system")
			snap.Override("enhanced_fee_system", code)
		})
		require.Zero(t, allocs, "tenant %s", code)
	}
}

func TestFind(t *testing.T) {
	t.Parallel()
	fl, err := flags.Find([]config.Flag{{Name: "a"}, fees}, fees.Name)
	require.NoError(t, err)
	require.Equal(t, fees, fl)
	_, err = flags.Find(nil, "x")
	require.ErrorIs(t, err, flags.ErrFlagNotFound)
	require.EqualError(t, err, `flag "x": flag not found (herd.yaml declares no flags)`)
	var many []config.Flag
	for i := range 12 {
		many = append(many, config.Flag{Name: fmt.Sprintf("f%02d", i)})
	}
	_, err = flags.Find(many, "x")
	require.EqualError(t, err, `flag "x": flag not found (herd.yaml declares f00, f01, f02, f03, f04, f05, f06, f07, f08, f09, and 2 more)`)
}

// A Result marshals as it did when Detail was a field: the answer and the
// words.
func TestResultJSON(t *testing.T) {
	t.Parallel()
	r := flags.Evaluate(fees, flags.Tenant{Code: "sunrise", Tier: "premium", Version: v("2.0.0")}, flags.OverrideNone)
	out, err := json.Marshal(r)
	require.NoError(t, err)
	require.JSONEq(t, `{"Flag": "enhanced_fee_system", "Tenant": "sunrise", "Enabled": true, "Reason": "PERCENTAGE_ON",
		"Detail": "bucket 11 is within the 25% rollout"}`, string(out))
}

// BenchmarkSnapshotEvaluate is the application's path: find the flag and
// the tenant in a snapshot and evaluate, for tenants on each rule path.
func BenchmarkSnapshotEvaluate(b *testing.B) {
	snap := snapshotSetup(b).snap
	for _, p := range []struct{ name, code string }{
		{"percentage", "st_marys"}, {"beta", "demo_trust"}, {"tier", "northgate"},
		{"override", "hillcrest"}, {"version_gate", "oakwood"},
	} {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				snap.Evaluate("enhanced_fee_system", p.code) //nolint:errcheck // known names
			}
		})
	}
}

// BenchmarkSnapshotEnabled is BenchmarkSnapshotEvaluate on the percentage
// path, reduced to the answer.
func BenchmarkSnapshotEnabled(b *testing.B) {
	snap := snapshotSetup(b).snap
	b.ReportAllocs()
	for b.Loop() {
		snap.Enabled("enhanced_fee_system", "st_marys") //nolint:errcheck // known names
	}
}
