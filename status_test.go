package herd_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/rollout"
)

// The control database's status of a tenant tells the truth: a tenant a
// rollout rolled back shows the failure that caused it, at the version it
// went back to; a run that changes nothing leaves a tenant's row alone;
// and a project without system migrations shows no pending system
// database.
func TestStatusTellsTheTruth(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := witnessFleet(t, e, witnessSource(), "rollout:\n  failure_budget: 100%\n", "s%d", 2)

		// A no-op run over an up-to-date fleet leaves every row alone.
		before := b.tenantVersions()
		require.NoError(t, b.fleet.MigrateAll(b.ctx, "1.0.0", 2))
		require.Equal(t, before, b.tenantVersions(), "a run that changed nothing changed the rows")

		// s2 fails v1.1.0 (its witness table is gone) and is rolled back.
		db, _, err := b.fleet.OpenTenant(b.ctx, "s2")
		require.NoError(t, err)
		_, err = db.DB.ExecContext(b.ctx, "DROP TABLE witness")
		require.NoError(t, err)
		require.NoError(t, db.Close())
		m := b.fleet.Rollouts(rollout.Options{})
		r, _, err := m.Start(b.ctx, rollout.StartRequest{Release: "v1.1.0"})
		require.NoError(t, err)
		out, err := m.Work(b.ctx, r.ID)
		require.NoError(t, err)
		require.Equal(t, control.RolloutCompletedWithFailures, out.Rollout.Status)

		v, ok, err := b.control().Version(b.ctx, control.TenantRef("s2"))
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, "1.0.0", v.CurrentVersion)
		require.Equal(t, control.StatusFailed, v.Status)
		require.Contains(t, v.Error, "rolled back to v1.0.0 (down migrations) after: ")
		rows := statusJSON(t, b.scratch.ConfigPath)
		require.Equal(t, "system", rows[0].Type)
		require.Equal(t, "n/a (no system migrations)", rows[0].Status)
		for _, row := range rows[1:] {
			if row.Identifier == "s2" {
				require.Equal(t, string(control.StatusFailed), row.Status)
				require.Contains(t, row.LastError, "rolled back to v1.0.0")
			} else {
				require.Equal(t, string(control.StatusCompleted), row.Status, row.Identifier)
				require.Equal(t, "1.1.0", row.CurrentVersion)
			}
		}
	})
}

// An aborted rollout leaves the tenants it never reached as they were, not
// pending forever.
func TestAbortedRolloutLeavesNoTenantPending(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := witnessFleet(t, e, witnessSource(), "", "a%d", 2)
		before := b.tenantVersions()
		m := b.fleet.Rollouts(rollout.Options{})
		later := time.Now().Add(time.Hour)
		r, _, err := m.Start(b.ctx, rollout.StartRequest{Release: "v1.1.0", At: &later})
		require.NoError(t, err)
		for _, v := range b.tenantVersions() {
			require.Equal(t, control.StatusPending, v.Status, v.Identifier)
		}
		_, err = m.Abort(b.ctx, r.ID)
		require.NoError(t, err)
		after := b.tenantVersions()
		for i, v := range after {
			require.Equal(t, before[i].CurrentVersion, v.CurrentVersion, v.Identifier)
			require.Equal(t, control.StatusCompleted, v.Status, v.Identifier)
			require.Empty(t, v.TargetVersion, v.Identifier)
		}
	})
}

// Status lists every registered tenant, a never-migrated one as pending,
// and TenantDetail gives one tenant's version and history.
func TestStatusAndTenantDetail(t *testing.T) {
	t.Parallel()
	b := setup(t, herdtest.Engines()[0], waveSource())
	b.addTenant("alpha")
	b.addTenant("beta")
	require.NoError(t, b.fleet.Migrate(b.ctx, herd.TenantRef("alpha"), "v1.0.0"))

	rows, err := b.fleet.Status(b.ctx)
	require.NoError(t, err)
	require.Equal(t, []herd.StatusRow{
		{Type: "system", Identifier: herd.SystemRef().Identifier, Status: herd.StatusNotApplicable},
		{Type: "tenant", Identifier: "alpha", CurrentVersion: "1.0.0", TargetVersion: "1.0.0", Status: "completed", SizeClass: herd.SizeUnknown},
		{Type: "tenant", Identifier: "beta", Status: "pending", SizeClass: herd.SizeUnknown},
	}, rows)

	d, err := b.fleet.TenantDetail(b.ctx, "alpha")
	require.NoError(t, err)
	require.Equal(t, "alpha", d.Code)
	require.NotNil(t, d.Version)
	require.Equal(t, "1.0.0", d.Version.CurrentVersion)
	require.Len(t, d.History, 1)
	require.Equal(t, "v1.0.0/001_create_t", d.History[0].Migration)

	d, err = b.fleet.TenantDetail(b.ctx, "beta")
	require.NoError(t, err)
	require.NotNil(t, d.Version)
	require.Equal(t, control.StatusPending, d.Version.Status, "beta was never migrated")
	require.Empty(t, d.Version.CurrentVersion)
	require.Equal(t, []herd.HistoryEntry{}, d.History)

	_, err = b.fleet.TenantDetail(b.ctx, "ghost")
	require.True(t, herd.IsInputError(err), "an unknown tenant is bad input: %v", err)
}

// A database's history read page by page is its whole history, in order;
// a limit out of bounds is bad input.
func TestHistoryPages(t *testing.T) {
	t.Parallel()
	b := setup(t, herdtest.Engines()[0], waveSource())
	b.addTenant("alpha")
	ref := herd.TenantRef("alpha")
	require.NoError(t, b.fleet.Migrate(b.ctx, ref, ""))
	require.NoError(t, b.fleet.Migrate(b.ctx, ref, "v1.0.0"))
	all, err := b.fleet.History(b.ctx, ref)
	require.NoError(t, err)
	require.Greater(t, len(all), 2, "up and down again make more than one page")

	var paged []herd.HistoryEntry
	var after int64
	for pages := 1; ; pages++ {
		page, err := b.fleet.HistoryPage(b.ctx, ref, after, 2)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page.Entries), 2)
		paged = append(paged, page.Entries...)
		if page.Next == 0 {
			require.Equal(t, (len(all)+1)/2, pages)
			break
		}
		after = page.Next
	}
	require.Equal(t, all, paged)

	for _, tc := range []struct {
		name  string
		after int64
		limit int
	}{{"limit below 0", 0, -1}, {"limit above the most", 0, herd.MaxHistoryLimit + 1}, {"after below 0", -5, 10}} {
		_, err := b.fleet.HistoryPage(b.ctx, ref, tc.after, tc.limit)
		require.True(t, herd.IsInputError(err), "%s: %v", tc.name, err)
	}
}
