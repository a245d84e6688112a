package controltest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
)

// A tenant's size round-trips with its tables, a second analysis replaces
// the first, Sizes lists the registered tenants' totals only, and a
// removed tenant's size goes with it.
func (s *suite) testSizes(t *testing.T) {
	ctx := t.Context()
	store, c, _ := s.open(t)
	s.addTenants(t, store, c, "alpha", "beta", "gamma")

	_, ok, err := store.Size(ctx, "alpha")
	require.NoError(t, err)
	require.False(t, ok, "never analysed")

	at := time.Date(2026, 11, 25, 3, 4, 5, 123456000, time.UTC)
	alpha := control.Size{Tenant: "alpha", Rows: 3_000_000_000, Bytes: 12 << 30, RowsEstimated: true, AnalyzedAt: at,
		Tables: []control.TableSize{
			{Table: "attendance", Rows: 2_999_999_000, Bytes: 11 << 30, RowsEstimated: true},
			{Table: "students", Rows: 1000, Bytes: 1 << 30},
		}}
	beta := control.Size{Tenant: "beta", Rows: 7, Bytes: 8192, AnalyzedAt: at, Tables: []control.TableSize{{Table: "t", Rows: 7, Bytes: 8192}}}
	require.NoError(t, store.SetSize(ctx, alpha))
	require.NoError(t, store.SetSize(ctx, beta))

	got, ok, err := store.Size(ctx, "alpha")
	require.NoError(t, err)
	require.True(t, ok)
	require.True(t, at.Equal(got.AnalyzedAt), "analysed at %s, read %s", at, got.AnalyzedAt)
	got.AnalyzedAt = at
	require.Equal(t, alpha, got)

	beta.Rows, beta.BytesEstimated, beta.AnalyzedAt = 9, true, at.Add(time.Hour)
	beta.Tables[0].Rows, beta.Tables[0].BytesEstimated = 9, true
	require.NoError(t, store.SetSize(ctx, beta), "a second analysis replaces the first")

	all, err := store.Sizes(ctx)
	require.NoError(t, err)
	require.Len(t, all, 2, "gamma was never analysed")
	require.Equal(t, int64(9), all["beta"].Rows)
	require.True(t, all["beta"].BytesEstimated)
	require.False(t, all["beta"].RowsEstimated)
	require.True(t, at.Add(time.Hour).Equal(all["beta"].AnalyzedAt))
	require.Nil(t, all["alpha"].Tables, "Sizes leaves the tables out")
	require.Equal(t, alpha.Bytes, all["alpha"].Bytes)

	tenants, err := store.Tenants(ctx)
	require.NoError(t, err)
	require.Len(t, tenants, 3)
	require.Equal(t, int64(9), tenants[1].Size.Rows, "a tenant carries its last analysis, without tables")
	require.Nil(t, tenants[1].Size.Tables)
	require.True(t, tenants[1].Size.BytesEstimated)
	require.Nil(t, tenants[2].Size, "gamma was never analysed")
	one, err := store.Tenant(ctx, "alpha")
	require.NoError(t, err)
	require.Equal(t, alpha.Rows, one.Size.Rows)
	require.True(t, one.Size.RowsEstimated)
	require.True(t, at.Equal(one.Size.AnalyzedAt))

	require.NoError(t, store.RemoveTenant(ctx, "beta"))
	s.addTenants(t, store, c, "beta")
	_, ok, err = store.Size(ctx, "beta")
	require.NoError(t, err)
	require.False(t, ok, "a tenant added again starts unanalysed")
}
