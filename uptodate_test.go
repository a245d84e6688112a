package herd_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/rollout"
)

// upToDateFleet registers n tenants straight into the control database as
// already at v1.1.0, without creating their databases: a rollout that
// opened a connection to any of them would fail.
func upToDateFleet(tb testing.TB, n int) *herd.Fleet {
	tb.Helper()
	scratch := herdtest.Engines()[0].NewFleet(tb, waveSource())
	f, err := herd.Open(context.Background(), scratch.Load(tb), herdtest.Dialects(), herd.Options{})
	require.NoError(tb, err)
	tb.Cleanup(func() { f.Close() })
	ctx := context.Background()
	store := scratch.Control(tb)
	for i := range n {
		code := fmt.Sprintf("t%05d", i)
		require.NoError(tb, store.AddTenant(ctx, control.Tenant{Code: code, Name: code, Tier: "standard", Server: "main",
			Database: "never_created_" + code, CreatedAt: time.Now()}))
	}
	codes := make([]string, n)
	for i := range codes {
		codes[i] = fmt.Sprintf("t%05d", i)
	}
	require.NoError(tb, store.MarkTargets(ctx, codes, "1.1.0"))
	for _, code := range codes {
		require.NoError(tb, store.Sync(ctx, control.TenantRef(code), "1.1.0"))
	}
	return f
}

func TestRolloutOverUpToDateTenantsOpensNoConnection(t *testing.T) {
	t.Parallel()
	f := upToDateFleet(t, 200)
	m := f.Rollouts(rollout.Options{})
	r, items, err := m.Start(context.Background(), rollout.StartRequest{Release: "v1.1.0"})
	require.NoError(t, err)
	for _, it := range items {
		require.Equal(t, control.ItemDone, it.State)
		require.Equal(t, "already at v1.1.0", it.Error)
	}
	out, err := m.Work(context.Background(), r.ID)
	require.NoError(t, err)
	require.Equal(t, control.RolloutCompleted, out.Rollout.Status)
}

// BenchmarkRolloutOverUpToDateTenants measures a whole rollout (phase 1
// and 2) over 5,000 tenants that the control database records at the
// release, on a SQLite control database.
func BenchmarkRolloutOverUpToDateTenants(b *testing.B) {
	f := upToDateFleet(b, 5000)
	m := f.Rollouts(rollout.Options{})
	b.ResetTimer()
	for range b.N {
		r, _, err := m.Start(context.Background(), rollout.StartRequest{Release: "v1.1.0"})
		if err != nil {
			b.Fatal(err)
		}
		if out, err := m.Work(context.Background(), r.ID); err != nil || out.Rollout.Status != control.RolloutCompleted {
			b.Fatal(err, out.Rollout.Status)
		}
	}
}
