package herd_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/flags"
	"github.com/herdhq/herd/internal/herdtest"
)

// flagsConfig declares the flags the tests below evaluate against the
// School ERP migrations (tenant versions 1.0.0, 1.1.0, 2.0.0).
const flagsConfig = `flags:
  reports:
    required_version: 1.0.0
  enhanced_fees:
    required_version: 2.0.0
    rollout_percentage: 100
  premium_reports:
    required_version: 1.0.0
    enabled_for: [premium]
    rollout_percentage: 100
  early_access:
    required_version: 1.0.0
    beta_tenants: [beta]
`

// flagBundle is a fleet with flagsConfig.
func flagBundle(t *testing.T, e herdtest.Engine) *bundle {
	t.Helper()
	b := setup(t, e, schoolMigrations(t))
	b.scratch.WriteConfig(t, b.scratch.Config(flagsConfig))
	b.reopen()
	return b
}

// auditEntry is one row of herd_audit_log.
type auditEntry struct{ Actor, Action, Subject, Detail string }

// audit reads the audit log entries of action, oldest first, straight
// from the control database.
func (b *bundle) audit(action string) []auditEntry {
	b.t.Helper()
	var d dialect.Dialect
	for _, candidate := range herdtest.Dialects() {
		if candidate.Name() == b.engine.Name {
			d = candidate
		}
	}
	srv, err := d.OpenServer(b.ctx, dialect.ServerConfig{Name: "control", DSN: b.scratch.ControlDSN})
	require.NoError(b.t, err)
	defer srv.Close()
	db, err := srv.Control(b.ctx)
	require.NoError(b.t, err)
	defer db.Close()
	rows, err := db.DB.QueryContext(b.ctx, dialect.Bind(d, `SELECT actor, action, subject, detail FROM herd_audit_log WHERE action = ? ORDER BY id`), action)
	require.NoError(b.t, err)
	defer rows.Close()
	var out []auditEntry
	for rows.Next() {
		var e auditEntry
		require.NoError(b.t, rows.Scan(&e.Actor, &e.Action, &e.Subject, &e.Detail))
		out = append(out, e)
	}
	require.NoError(b.t, rows.Err())
	return out
}

func (b *bundle) eval(flag, code string) flags.Result {
	b.t.Helper()
	r, err := b.fleet.EvaluateFlag(b.ctx, flag, code)
	require.NoError(b.t, err)
	return r
}

// Overrides are kept in the control database, set and cleared with their
// audit entries written, on every engine.
func TestFlagOverrides(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := flagBundle(t, e)
		b.addTenant("alpha")
		b.addTenant("beta")
		require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("alpha"), "1.0.0"))
		require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("beta"), "1.0.0"))
		store := b.control()

		all, err := store.Overrides(b.ctx)
		require.NoError(t, err)
		require.Empty(t, all)
		require.Equal(t, flags.ReasonPercentageOff, b.eval("reports", "alpha").Reason)

		require.NoError(t, b.fleet.SetFlagOverride(b.ctx, "reports", "alpha", flags.OverrideOn))
		require.NoError(t, b.fleet.SetFlagOverride(b.ctx, "early_access", "beta", flags.OverrideOff))
		all, err = store.Overrides(b.ctx)
		require.NoError(t, err)
		require.Equal(t, map[string]map[string]flags.Override{
			"reports":      {"alpha": flags.OverrideOn},
			"early_access": {"beta": flags.OverrideOff},
		}, all)
		r := b.eval("reports", "alpha")
		require.True(t, r.Enabled)
		require.Equal(t, flags.ReasonOverrideOn, r.Reason)
		r = b.eval("early_access", "beta")
		require.False(t, r.Enabled, "the override beats the beta list")
		require.Equal(t, flags.ReasonOverrideOff, r.Reason)
		require.Equal(t, flags.ReasonPercentageOff, b.eval("reports", "beta").Reason, "an override is per tenant")

		require.NoError(t, b.fleet.SetFlagOverride(b.ctx, "reports", "alpha", flags.OverrideOff))
		o, err := store.Override(b.ctx, "reports", "alpha")
		require.NoError(t, err)
		require.Equal(t, flags.OverrideOff, o)
		require.Equal(t, flags.ReasonOverrideOff, b.eval("reports", "alpha").Reason)

		require.NoError(t, b.fleet.SetFlagOverride(b.ctx, "reports", "alpha", flags.OverrideNone))
		require.NoError(t, b.fleet.SetFlagOverride(b.ctx, "reports", "alpha", flags.OverrideNone), "clearing twice is fine")
		o, err = store.Override(b.ctx, "reports", "alpha")
		require.NoError(t, err)
		require.Equal(t, flags.OverrideNone, o)
		require.Equal(t, flags.ReasonPercentageOff, b.eval("reports", "alpha").Reason)
		all, err = store.Overrides(b.ctx)
		require.NoError(t, err)
		require.Equal(t, map[string]map[string]flags.Override{"early_access": {"beta": flags.OverrideOff}}, all)

		require.Equal(t, []auditEntry{
			{"cli", "flags.set", "alpha", "flag reports: on (was default)"},
			{"cli", "flags.set", "beta", "flag early_access: off (was default)"},
			{"cli", "flags.set", "alpha", "flag reports: off (was on)"},
			{"cli", "flags.set", "alpha", "flag reports: default (was off)"},
			{"cli", "flags.set", "alpha", "flag reports: default (was default)"},
		}, b.audit("flags.set"))

		// Bad input changes nothing, and is input.
		err = b.fleet.SetFlagOverride(b.ctx, "no_such_flag", "alpha", flags.OverrideOn)
		require.ErrorIs(t, err, herd.ErrFlagNotFound)
		require.True(t, herd.IsInputError(err))
		require.ErrorContains(t, err, `flag "no_such_flag"`)
		err = b.fleet.SetFlagOverride(b.ctx, "reports", "nobody", flags.OverrideOn)
		require.ErrorIs(t, err, control.ErrTenantNotFound)
		var in *herd.InputError
		require.ErrorAs(t, err, &in)
		require.ErrorContains(t, err, `tenant "nobody"`)
		require.Error(t, store.SetOverride(b.ctx, "reports", "alpha", flags.Override(7), "cli"))
		require.Len(t, b.audit("flags.set"), 5)
	})
}

// EvaluateFlag reads the tenant's version from database_schema_versions in
// the control database, not from the tenant's database.
func TestEvaluateFlagVersionFromControl(t *testing.T) {
	t.Parallel()
	b := flagBundle(t, herdtest.Engines()[0])
	b.addTenant("alpha")
	_, err := b.fleet.AddTenant(b.ctx, herd.TenantSpec{Code: "beta", Tier: "premium"})
	require.NoError(t, err)
	b.addTenant("gamma") // never migrated: no version
	require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("alpha"), "1.1.0"))
	require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("beta"), "2.0.0"))

	r := b.eval("enhanced_fees", "alpha")
	require.Equal(t, "enhanced_fees", r.Flag)
	require.Equal(t, "alpha", r.Tenant)
	require.False(t, r.Enabled)
	require.Equal(t, flags.ReasonVersionGate, r.Reason)
	require.Equal(t, "tenant at 1.1.0 is below the required 2.0.0", r.Detail())
	r = b.eval("enhanced_fees", "beta")
	require.True(t, r.Enabled)
	require.Equal(t, flags.ReasonPercentageOn, r.Reason)
	r = b.eval("enhanced_fees", "gamma")
	require.Equal(t, flags.ReasonVersionGate, r.Reason)
	require.Equal(t, "tenant has no schema version", r.Detail())

	// Tier from the registry.
	require.Equal(t, flags.ReasonTier, b.eval("premium_reports", "alpha").Reason)
	require.True(t, b.eval("premium_reports", "beta").Enabled)
	// Beta list from herd.yaml; "beta" is the tenant's code here.
	require.Equal(t, flags.ReasonBeta, b.eval("early_access", "beta").Reason)

	// The control database is the source: record alpha at 2.0.0 there
	// (its own ledger stays at 1.1.0) and the gate opens.
	require.NoError(t, b.control().Sync(b.ctx, control.TenantRef("alpha"), "2.0.0"))
	r = b.eval("enhanced_fees", "alpha")
	require.True(t, r.Enabled, r.Detail())
	require.Equal(t, flags.ReasonPercentageOn, r.Reason)

	// Every flag for one tenant.
	results, err := b.fleet.EvaluateFlags(b.ctx, "beta")
	require.NoError(t, err)
	var names []string
	for _, r := range results {
		names = append(names, r.Flag)
		require.Equal(t, "beta", r.Tenant)
	}
	require.Equal(t, []string{"early_access", "enhanced_fees", "premium_reports", "reports"}, names)

	// Unknown names are input errors that say what was asked.
	_, err = b.fleet.EvaluateFlag(b.ctx, "no_such_flag", "alpha")
	require.ErrorIs(t, err, herd.ErrFlagNotFound)
	require.True(t, herd.IsInputError(err))
	require.ErrorContains(t, err, `flag "no_such_flag": flag not found (herd.yaml declares early_access, enhanced_fees, premium_reports, reports)`)
	_, err = b.fleet.EvaluateFlag(b.ctx, "reports", "nobody")
	require.ErrorIs(t, err, control.ErrTenantNotFound)
	var in *herd.InputError
	require.ErrorAs(t, err, &in)
	_, err = b.fleet.EvaluateFlags(b.ctx, "nobody")
	require.ErrorAs(t, err, &in)
}

// A snapshot answers as EvaluateFlag does, from memory, and does not
// change when the control database does.
func TestFlagSnapshot(t *testing.T) {
	t.Parallel()
	b := flagBundle(t, herdtest.Engines()[0])
	b.addTenant("alpha")
	_, err := b.fleet.AddTenant(b.ctx, herd.TenantSpec{Code: "beta", Tier: "premium"})
	require.NoError(t, err)
	b.addTenant("gamma")
	require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("alpha"), "1.1.0"))
	require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("beta"), "2.0.0"))
	require.NoError(t, b.fleet.SetFlagOverride(b.ctx, "reports", "alpha", flags.OverrideOn))

	snap, err := b.fleet.FlagSnapshot(b.ctx)
	require.NoError(t, err)
	require.Equal(t, 3, snap.Len())
	require.Len(t, snap.Flags(), 4)
	codes := []string{"alpha", "beta", "gamma"}
	for _, code := range codes {
		all, err := snap.EvaluateAll(code)
		require.NoError(t, err)
		require.Len(t, all, 4)
		for _, fromSnap := range all {
			require.Equal(t, b.eval(fromSnap.Flag, code), fromSnap, "%s for %s", fromSnap.Flag, code)
			one, err := snap.Evaluate(fromSnap.Flag, code)
			require.NoError(t, err)
			require.Equal(t, fromSnap, one)
			on, reason, err := snap.Enabled(fromSnap.Flag, code)
			require.NoError(t, err)
			require.Equal(t, fromSnap.Enabled, on)
			require.Equal(t, fromSnap.Reason, reason)
		}
	}
	tn, ok := snap.Tenant("alpha")
	require.True(t, ok)
	require.Equal(t, "1.1.0", tn.Version.String())
	require.Equal(t, flags.OverrideOn, snap.Override("reports", "alpha"))

	// Immutable: later changes reach the next snapshot only.
	require.NoError(t, b.fleet.SetFlagOverride(b.ctx, "reports", "alpha", flags.OverrideNone))
	require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("alpha"), "2.0.0"))
	r, err := snap.Evaluate("reports", "alpha")
	require.NoError(t, err)
	require.Equal(t, flags.ReasonOverrideOn, r.Reason)
	r, err = snap.Evaluate("enhanced_fees", "alpha")
	require.NoError(t, err)
	require.Equal(t, flags.ReasonVersionGate, r.Reason)
	fl := snap.Flags()
	fl[0].Name = "changed"
	_, ok = snap.Flag("early_access")
	require.True(t, ok)
	require.Equal(t, "early_access", snap.Flags()[0].Name)

	next, err := b.fleet.FlagSnapshot(b.ctx)
	require.NoError(t, err)
	r, err = next.Evaluate("reports", "alpha")
	require.NoError(t, err)
	require.Equal(t, flags.ReasonPercentageOff, r.Reason)
	r, err = next.Evaluate("enhanced_fees", "alpha")
	require.NoError(t, err)
	require.True(t, r.Enabled)

	_, err = snap.Evaluate("no_such_flag", "alpha")
	require.ErrorIs(t, err, herd.ErrFlagNotFound)
	require.ErrorIs(t, err, flags.ErrFlagNotFound)
	_, err = snap.Evaluate("reports", "nobody")
	require.ErrorIs(t, err, flags.ErrTenantNotFound)
	_, err = snap.EvaluateAll("nobody")
	require.ErrorIs(t, err, flags.ErrTenantNotFound)
	_, _, err = snap.Enabled("reports", "nobody")
	require.ErrorIs(t, err, flags.ErrTenantNotFound)
}
