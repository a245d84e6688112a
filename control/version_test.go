package control_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
)

// BeginTenants marks a batch of tenants as running in one write and
// returns their rows as they were; Unbegin puts a row back exactly. A
// tenant with no row is left alone, and marking the same tenants twice at
// the same instant (which MySQL counts as changing no row) is no error.
func TestBeginTenantsAndUnbegin(t *testing.T) {
	t.Parallel()
	forEachControlEngine(t, func(t *testing.T, b *changesBundle) {
		now := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
		store, err := control.Open(b.ctx, b.d, b.db, func() time.Time { return now })
		require.NoError(t, err)
		for _, code := range []string{"alpha", "beta"} {
			require.NoError(t, store.AddTenant(b.ctx, control.Tenant{Code: code, Name: code, Server: "main", Database: code, CreatedAt: now}))
		}
		now = now.Add(time.Minute)
		require.NoError(t, store.End(b.ctx, control.TenantRef("beta"), "1.0.0", errors.New("statement 2 failed")))
		was := versions(t, store)

		now = now.Add(time.Minute)
		codes := []string{"alpha", "beta", "gamma"} // gamma has no row
		before, err := store.BeginTenants(b.ctx, codes, "2.0.0")
		require.NoError(t, err)
		require.Len(t, before, 3)
		require.Equal(t, was["alpha"], *before[0])
		require.Equal(t, was["beta"], *before[1])
		require.Nil(t, before[2])

		_, err = store.BeginTenants(b.ctx, codes, "2.0.0") // the same values again
		require.NoError(t, err)
		marked := versions(t, store)
		require.NotContains(t, marked, "gamma", "a tenant without a row is left alone")
		for _, code := range codes[:2] {
			v := marked[code]
			require.Equal(t, control.StatusRunning, v.Status, code)
			require.Equal(t, "2.0.0", v.TargetVersion, code)
			require.Empty(t, v.Error, code)
			require.NotNil(t, v.StartedAt, code)
			require.True(t, now.Equal(*v.StartedAt), code)
		}
		require.Equal(t, "1.0.0", marked["beta"].CurrentVersion, "the current version is left as recorded")

		now = now.Add(time.Minute)
		require.NoError(t, store.Unbegin(b.ctx, *before[1]))
		require.Equal(t, was["beta"], versions(t, store)["beta"])
	})
}

// versions returns the tenants' rows by code.
func versions(t *testing.T, store *control.Store) map[string]control.VersionState {
	t.Helper()
	all, err := store.Versions(t.Context())
	require.NoError(t, err)
	out := map[string]control.VersionState{}
	for _, v := range all {
		out[v.Identifier] = v
	}
	return out
}
