package controltest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
)

// A shadow switch moves the tenant's database and version in one
// transaction, with its history and the change counter; switching back
// and cleaning up end it once; a tenant that is not where a switch
// expects it is left alone.
func (s *suite) testSwitches(t *testing.T) {
	ctx := t.Context()
	store, c, _ := s.open(t)
	s.addTenants(t, store, c, "alpha", "beta")
	gen, err := store.Generation(ctx)
	require.NoError(t, err)

	sw := control.Switch{Tenant: "alpha", Server: "main", OldDatabase: "t_alpha", NewDatabase: "t_alpha_herd_shadow",
		FromVersion: "1.0.0", ToVersion: "1.1.0", SwitchedAt: c.now}
	steps := []control.Step{{Migration: "v1.1.0/002_b", Version: "1.1.0", Kind: "schema", Direction: control.Up, Started: c.now}}
	id, err := store.SwitchTenant(ctx, sw, steps, "test")
	require.NoError(t, err)
	require.Positive(t, id)
	alpha, err := store.Tenant(ctx, "alpha")
	require.NoError(t, err)
	require.Equal(t, "t_alpha_herd_shadow", alpha.Database)
	v, ok, err := store.Version(ctx, control.TenantRef("alpha"))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "1.1.0", v.CurrentVersion)
	require.Equal(t, control.StatusCompleted, v.Status)
	h, err := store.History(ctx, control.TenantRef("alpha"))
	require.NoError(t, err)
	require.Len(t, h, 1)
	after, err := store.Generation(ctx)
	require.NoError(t, err)
	require.Greater(t, after, gen, "the router follows")

	_, err = store.SwitchTenant(ctx, sw, steps, "test")
	require.ErrorIs(t, err, control.ErrMoved, "alpha is no longer on t_alpha")
	beta := sw
	beta.Tenant, beta.OldDatabase = "beta", "somewhere_else"
	_, err = store.SwitchTenant(ctx, beta, steps, "test")
	require.ErrorIs(t, err, control.ErrMoved)
	all, err := store.Switches(ctx, "")
	require.NoError(t, err)
	require.Len(t, all, 1, "a refused switch records nothing")
	got := all[0]
	require.Equal(t, control.SwitchActive, got.State)
	require.Nil(t, got.EndedAt)
	require.True(t, c.now.Equal(got.SwitchedAt))
	got.SwitchedAt = sw.SwitchedAt
	sw.ID, sw.State = id, control.SwitchActive
	require.Equal(t, sw, got)

	require.NoError(t, store.SwitchBack(ctx, sw, nil, "nothing written since the switch", "test"))
	alpha, err = store.Tenant(ctx, "alpha")
	require.NoError(t, err)
	require.Equal(t, "t_alpha", alpha.Database)
	v, _, err = store.Version(ctx, control.TenantRef("alpha"))
	require.NoError(t, err)
	require.Equal(t, "1.0.0", v.CurrentVersion)
	require.ErrorIs(t, store.SwitchBack(ctx, sw, nil, "again", "test"), control.ErrMoved, "a switch is taken back once")
	require.ErrorIs(t, store.CleanedSwitch(ctx, sw, "t_alpha", "test"), control.ErrMoved, "the switch is no longer active")

	sw2 := sw
	sw2.ID, sw2.State = 0, ""
	id2, err := store.SwitchTenant(ctx, sw2, nil, "test")
	require.NoError(t, err)
	sw2.ID, sw2.State = id2, control.SwitchActive
	require.NoError(t, store.CleanedSwitch(ctx, sw2, "t_alpha", "test"))
	undone := sw
	undone.State = control.SwitchUndone
	require.NoError(t, store.CleanedSwitch(ctx, undone, "t_alpha_herd_shadow", "test"), "a switch taken back leaves its new database to clean")
	mine, err := store.Switches(ctx, "alpha")
	require.NoError(t, err)
	require.Len(t, mine, 2)
	require.Equal(t, []control.SwitchState{control.SwitchCleaned, control.SwitchCleaned}, []control.SwitchState{mine[0].State, mine[1].State})
	require.Equal(t, id2, mine[0].ID, "newest first")
	require.NotNil(t, mine[0].EndedAt)
	none, err := store.Switches(ctx, "beta")
	require.NoError(t, err)
	require.Empty(t, none)

	// A switch that renamed keeps the registry on the tenant's name, and
	// its switch back records the names the renames back gave.
	renamed := control.Switch{Tenant: "beta", Server: "main", OldDatabase: "t_beta_herd_old", NewDatabase: "t_beta",
		FromVersion: "1.0.0", ToVersion: "1.1.0", SwitchedAt: c.now, Renamed: true}
	_, err = store.SwitchTenant(ctx, control.Switch{Tenant: "beta", Server: "main", OldDatabase: "x_old", NewDatabase: "elsewhere",
		FromVersion: "1.0.0", ToVersion: "1.1.0", SwitchedAt: c.now, Renamed: true}, nil, "test")
	require.ErrorIs(t, err, control.ErrMoved, "beta is not on the name a renaming switch keeps")
	rid, err := store.SwitchTenant(ctx, renamed, steps, "test")
	require.NoError(t, err)
	betaRow, err := store.Tenant(ctx, "beta")
	require.NoError(t, err)
	require.Equal(t, "t_beta", betaRow.Database, "the registry keeps the name")
	mine, err = store.Switches(ctx, "beta")
	require.NoError(t, err)
	require.Len(t, mine, 1)
	require.True(t, mine[0].Renamed)
	require.Equal(t, "t_beta_herd_old", mine[0].OldDatabase)
	back := mine[0]
	back.OldDatabase, back.NewDatabase = "t_beta", "t_beta_herd_shadow"
	require.NoError(t, store.SwitchBack(ctx, back, nil, "renamed back", "test"))
	betaRow, err = store.Tenant(ctx, "beta")
	require.NoError(t, err)
	require.Equal(t, "t_beta", betaRow.Database)
	mine, err = store.Switches(ctx, "beta")
	require.NoError(t, err)
	require.Equal(t, rid, mine[0].ID)
	require.Equal(t, control.SwitchUndone, mine[0].State)
	require.Equal(t, []string{"t_beta", "t_beta_herd_shadow"}, []string{mine[0].OldDatabase, mine[0].NewDatabase},
		"the record names where each database is now")
	v, _, err = store.Version(ctx, control.TenantRef("beta"))
	require.NoError(t, err)
	require.Equal(t, "1.0.0", v.CurrentVersion)
}

// A write freeze is recorded, extended and ended, each moving the change
// counter.
func (s *suite) testWriteFreezes(t *testing.T) {
	ctx := t.Context()
	store, c, _ := s.open(t)
	s.addTenants(t, store, c, "alpha")
	none, err := store.WriteFreezes(ctx)
	require.NoError(t, err)
	require.Empty(t, none)
	gen, err := store.Generation(ctx)
	require.NoError(t, err)
	until := c.now.Add(15 * time.Second)
	require.NoError(t, store.FreezeWrites(ctx, "alpha", until))
	require.NoError(t, store.FreezeWrites(ctx, "alpha", until.Add(10*time.Second)), "extended")
	frozen, err := store.WriteFreezes(ctx)
	require.NoError(t, err)
	require.Len(t, frozen, 1)
	require.True(t, until.Add(10*time.Second).Equal(frozen["alpha"]), "read %s", frozen["alpha"])
	moved, err := store.Generation(ctx)
	require.NoError(t, err)
	require.Greater(t, moved, gen)
	require.NoError(t, store.ThawWrites(ctx, "alpha"))
	none, err = store.WriteFreezes(ctx)
	require.NoError(t, err)
	require.Empty(t, none)
	require.NoError(t, store.ThawWrites(ctx, "alpha"), "again: nothing to end")
}
