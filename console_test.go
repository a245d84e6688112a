package herd_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/internal/herdtest"
)

// consoleFleet registers, straight in the control database (they need no
// database for the console's reads), n tenants "c000"…: every third on
// tier gold tagged beta, the rest on tier basic; c000 to c004 at 1.0.0,
// c005 failed at 1.1.0, the others never migrated.
func consoleFleet(t *testing.T, e herdtest.Engine, n int) *bundle {
	t.Helper()
	b := setup(t, e, schoolMigrations(t))
	store := b.control()
	for i := range n {
		tn := control.Tenant{Code: fmt.Sprintf("c%03d", i), Name: fmt.Sprintf("School %d", i), Tier: "basic",
			Server: "main", Database: fmt.Sprintf("%s_c%03d", b.scratch.Prefix, i), Tags: []string{}}
		if i%3 == 0 {
			tn.Tier, tn.Tags = "gold", []string{"beta"}
		}
		require.NoError(t, store.AddTenant(b.ctx, tn))
		ref := control.TenantRef(tn.Code)
		switch {
		case i < 5:
			require.NoError(t, store.Sync(b.ctx, ref, "1.0.0"))
		case i == 5:
			require.NoError(t, store.End(b.ctx, ref, "1.1.0", errors.New("boom")))
		}
	}
	return b
}

// codes returns the codes of a page's tenants.
func codes(p herd.TenantPage) []string {
	out := []string{}
	for _, r := range p.Tenants {
		out = append(out, r.Identifier)
	}
	return out
}

// The console's reads count the fleet and filter and page its tenants in
// the control database, on every engine; bad parameters are input errors
// naming the parameter.
func TestConsoleReads(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := consoleFleet(t, e, 12)
		f := b.fleet

		o, err := f.Overview(b.ctx)
		require.NoError(t, err)
		require.Equal(t, 12, o.Tenants)
		require.Equal(t, map[string]int{"": 6, "1.0.0": 5, "1.1.0": 1}, o.ByVersion)
		require.Equal(t, map[string]int{"pending": 6, "running": 0, "completed": 5, "failed": 1}, o.ByStatus)
		require.Equal(t, map[string]int{"main": 12}, o.ByServer)

		for _, tc := range []struct {
			name string
			q    herd.TenantQuery
			want []string
		}{
			{"version", herd.TenantQuery{Version: "v1.0.0"}, []string{"c000", "c001", "c002", "c003", "c004"}},
			{"status", herd.TenantQuery{Status: "failed"}, []string{"c005"}},
			{"tier", herd.TenantQuery{Tier: "gold"}, []string{"c000", "c003", "c006", "c009"}},
			{"server", herd.TenantQuery{Server: "main", Page: herd.Page{Limit: 2}}, []string{"c000", "c001"}},
			{"tag", herd.TenantQuery{Tag: "beta", Status: "pending"}, []string{"c006", "c009"}},
			{"release", herd.TenantQuery{Release: "v1.1.0"}, []string{"c005"}},
			{"release and version", herd.TenantQuery{Release: "v1.1.0", Version: "1.0.0"}, []string{}},
			{"search", herd.TenantQuery{Search: "SCHOOL 1"}, []string{"c001", "c010", "c011"}},
			{"search is literal", herd.TenantQuery{Search: "c0_1"}, []string{}},
		} {
			p, err := f.TenantPage(b.ctx, tc.q)
			require.NoError(t, err, tc.name)
			require.Equal(t, tc.want, codes(p), tc.name)
		}

		// Pages of 5 walk every tenant once, in order.
		var walked []string
		q := herd.TenantQuery{Page: herd.Page{Limit: 5}}
		for {
			p, err := f.TenantPage(b.ctx, q)
			require.NoError(t, err)
			walked = append(walked, codes(p)...)
			if p.Next == "" {
				break
			}
			q.Page.Cursor = p.Next
		}
		require.Len(t, walked, 12)
		require.Equal(t, "c011", walked[11])

		p, err := f.TenantPage(b.ctx, herd.TenantQuery{Version: "1.1.0"})
		require.NoError(t, err)
		require.Equal(t, "failed", p.Tenants[0].Status)
		require.Equal(t, "boom", p.Tenants[0].LastError)
		require.Equal(t, herd.SizeUnknown, p.Tenants[0].SizeClass)

		for _, tc := range []struct {
			param string
			err   error
		}{
			{"status", func() error { _, err := f.TenantPage(b.ctx, herd.TenantQuery{Status: "done"}); return err }()},
			{"version", func() error { _, err := f.TenantPage(b.ctx, herd.TenantQuery{Version: "one"}); return err }()},
			{"release", func() error { _, err := f.TenantPage(b.ctx, herd.TenantQuery{Release: "v9"}); return err }()},
			{"server", func() error { _, err := f.TenantPage(b.ctx, herd.TenantQuery{Server: "elsewhere"}); return err }()},
			{"cursor", func() error {
				_, err := f.TenantPage(b.ctx, herd.TenantQuery{Page: herd.Page{Cursor: "!!"}})
				return err
			}()},
			{"limit", func() error { _, err := f.TenantPage(b.ctx, herd.TenantQuery{Page: herd.Page{Limit: 501}}); return err }()},
			{"limit", func() error { _, err := f.AuditLog(b.ctx, herd.AuditQuery{Page: herd.Page{Limit: -1}}); return err }()},
			{"status", func() error { _, err := f.RolloutList(b.ctx, herd.RolloutQuery{Status: "done"}); return err }()},
			{"cursor", func() error {
				_, err := f.RolloutList(b.ctx, herd.RolloutQuery{Page: herd.Page{Cursor: "eA"}})
				return err
			}()},
		} {
			require.True(t, herd.IsInputError(tc.err), "%s: %v", tc.param, tc.err)
			var qe *herd.QueryError
			require.ErrorAs(t, tc.err, &qe)
			require.Equal(t, tc.param, qe.Param)
		}
	})
}

// The audit log and the rollouts come newest first, a page at a time; a
// rollout's tenants by wave and position.
func TestConsoleAuditAndRollouts(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := consoleFleet(t, e, 7)
		f, store := b.fleet, b.control()
		for i := range 5 {
			require.NoError(t, store.Audit(b.ctx, "ops", "test", fmt.Sprintf("subject %d", i), ""))
		}
		require.NoError(t, store.Audit(b.ctx, "alice", "other", "x", ""))
		a, err := f.AuditLog(b.ctx, herd.AuditQuery{Actor: "ops", Page: herd.Page{Limit: 3}})
		require.NoError(t, err)
		require.Len(t, a.Entries, 3)
		require.Equal(t, "subject 4", a.Entries[0].Subject)
		require.NotEmpty(t, a.Next)
		a, err = f.AuditLog(b.ctx, herd.AuditQuery{Actor: "ops", Page: herd.Page{Limit: 3, Cursor: a.Next}})
		require.NoError(t, err)
		require.Len(t, a.Entries, 2)
		require.Equal(t, "subject 0", a.Entries[1].Subject)
		require.Empty(t, a.Next)

		var ids []int64
		for range 3 {
			items := []control.Item{}
			for i := range 7 {
				wave, name := 1, "rest"
				if i < 2 {
					wave, name = 0, "canary"
				}
				items = append(items, control.Item{Tenant: fmt.Sprintf("c%03d", i), Server: "main", Wave: wave, WaveName: name,
					Position: i, State: control.ItemPending})
			}
			items[6].State = control.ItemSkipped
			id, err := store.CreateRollout(b.ctx, control.Rollout{Release: "v1.1.0", SystemVersion: "1.1.0", TenantVersion: "1.1.0",
				Status: control.RolloutRunning}, items)
			require.NoError(t, err)
			ids = append(ids, id)
		}
		l, err := f.RolloutList(b.ctx, herd.RolloutQuery{Page: herd.Page{Limit: 2}})
		require.NoError(t, err)
		require.Equal(t, []int64{ids[2], ids[1]}, []int64{l.Rollouts[0].ID, l.Rollouts[1].ID})
		l, err = f.RolloutList(b.ctx, herd.RolloutQuery{Page: herd.Page{Limit: 2, Cursor: l.Next}})
		require.NoError(t, err)
		require.Len(t, l.Rollouts, 1)
		require.Empty(t, l.Next)
		l, err = f.RolloutList(b.ctx, herd.RolloutQuery{Status: "paused"})
		require.NoError(t, err)
		require.Empty(t, l.Rollouts)

		s, err := f.RolloutProgress(b.ctx, ids[0])
		require.NoError(t, err)
		require.Equal(t, map[herd.ItemState]int{"pending": 6, "skipped": 1}, s.Counts)
		require.Len(t, s.Waves, 2)
		require.Equal(t, 5, s.Waves[1].Tenants)
		require.Equal(t, 4, s.Waves[1].Open)

		var walked []string
		q := herd.ItemQuery{Page: herd.Page{Limit: 3}}
		for {
			p, err := f.RolloutItems(b.ctx, ids[0], q)
			require.NoError(t, err)
			for _, it := range p.Tenants {
				walked = append(walked, it.Tenant)
			}
			if p.Next == "" {
				break
			}
			q.Page.Cursor = p.Next
		}
		require.Equal(t, []string{"c000", "c001", "c002", "c003", "c004", "c005", "c006"}, walked)
		p, err := f.RolloutItems(b.ctx, ids[0], herd.ItemQuery{State: "skipped"})
		require.NoError(t, err)
		require.Len(t, p.Tenants, 1)

		_, err = f.RolloutProgress(b.ctx, 999999)
		require.ErrorIs(t, err, control.ErrRolloutNotFound)
		_, err = f.RolloutItems(b.ctx, 999999, herd.ItemQuery{})
		require.ErrorIs(t, err, control.ErrRolloutNotFound)

		rec, err := f.TenantRecord(b.ctx, "c001", herd.TenantRecordQuery{})
		require.NoError(t, err)
		require.Equal(t, "School 1", rec.Tenant.Name)
		require.Equal(t, "1.0.0", rec.Status.CurrentVersion)
		require.Len(t, rec.Rollouts, 3)
		require.Equal(t, ids[2], rec.Rollouts[0].RolloutID)
		require.Empty(t, rec.History.Entries)
		_, err = f.TenantRecord(b.ctx, "nobody", herd.TenantRecordQuery{})
		require.ErrorIs(t, err, control.ErrTenantNotFound)
	})
}
