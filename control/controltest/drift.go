package controltest

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/drift"
)

// A reference schema round-trips by engine, version and path sum, a large
// one included, and a second one replaces the first.
func (s *suite) testReferences(t *testing.T) {
	ctx := t.Context()
	store, _, _ := s.open(t)
	_, ok, err := store.Reference(ctx, "sqlite", "1.0.0", "abc")
	require.NoError(t, err)
	require.False(t, ok)

	at := time.Date(2026, 12, 7, 3, 4, 5, 123456000, time.UTC)
	big := []byte(`{"tables":"` + strings.Repeat("x", 200_000) + `"}`)
	ref := control.Reference{Engine: "sqlite", Version: "1.0.0", PathSum: "abc", Schema: big, BuiltAt: at}
	require.NoError(t, store.SetReference(ctx, ref))
	require.NoError(t, store.SetReference(ctx, control.Reference{Engine: "sqlite", Version: "1.0.0", PathSum: "def", Schema: []byte("{}"), BuiltAt: at}))
	ref.Schema = []byte(`{"tables":[]}`)
	require.NoError(t, store.SetReference(ctx, ref), "a second build replaces the first")

	got, ok, err := store.Reference(ctx, "sqlite", "1.0.0", "abc")
	require.NoError(t, err)
	require.True(t, ok)
	require.True(t, at.Equal(got.BuiltAt))
	got.BuiltAt = at
	require.Equal(t, ref, got)
	_, ok, err = store.Reference(ctx, "postgres", "1.0.0", "abc")
	require.NoError(t, err)
	require.False(t, ok, "references are per engine")
}

// A tenant's drift round-trips with its differences, a second check
// replaces the first, Drifts lists the registered tenants' summaries
// only, and a removed tenant's drift goes with it.
func (s *suite) testDrift(t *testing.T) {
	ctx := t.Context()
	store, c, _ := s.open(t)
	s.addTenants(t, store, c, "alpha", "beta")

	_, ok, err := store.Drift(ctx, "alpha")
	require.NoError(t, err)
	require.False(t, ok, "never checked")

	at := time.Date(2026, 12, 7, 3, 4, 5, 123456000, time.UTC)
	diffs := []drift.Difference{
		{Change: drift.Extra, Object: drift.Column, Name: "students.x_colour", Table: "students", Found: "text", Customisation: "all: column *.x_*"},
		{Change: drift.Changed, Object: drift.Index, Name: "students.by_name", Table: "students", Expected: "INDEX (name)", Found: "UNIQUE INDEX (name)"},
	}
	alpha := control.Drift{Tenant: "alpha", Version: "1.2.0", Summary: drift.Summarise(diffs), CheckedAt: at, Differences: diffs}
	require.NoError(t, store.SetDrift(ctx, alpha))
	beta := control.Drift{Tenant: "beta", Version: "1.2.0", Summary: drift.Summarise(nil), CheckedAt: at}
	require.NoError(t, store.SetDrift(ctx, beta))

	got, ok, err := store.Drift(ctx, "alpha")
	require.NoError(t, err)
	require.True(t, ok)
	require.True(t, at.Equal(got.CheckedAt))
	got.CheckedAt = at
	require.Equal(t, alpha, got)
	require.Equal(t, drift.Summary{State: drift.Drifted, Drifted: 1, Customised: 1}, got.Summary)

	alpha.Differences, alpha.Summary, alpha.CheckedAt = diffs[:1], drift.Summarise(diffs[:1]), at.Add(time.Hour)
	require.NoError(t, store.SetDrift(ctx, alpha), "a second check replaces the first")
	all, err := store.Drifts(ctx)
	require.NoError(t, err)
	require.Len(t, all, 2)
	require.Equal(t, drift.Customised, all["alpha"].State)
	require.Nil(t, all["alpha"].Differences, "Drifts leaves the differences out")
	require.Equal(t, drift.None, all["beta"].State)

	require.NoError(t, store.RemoveTenant(ctx, "beta"))
	all, err = store.Drifts(ctx)
	require.NoError(t, err)
	require.Len(t, all, 1, "a removed tenant's drift goes with it")
	_, ok, err = store.Drift(ctx, "beta")
	require.NoError(t, err)
	require.False(t, ok)
}
