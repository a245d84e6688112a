package controltest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/flags"
)

// Every write a cache depends on moves the generation, in its own
// transaction; reads do not, and neither does a write that fails.
func (s *suite) testGeneration(t *testing.T) {
	ctx := t.Context()
	store, c, _ := s.open(t)
	last, err := store.Generation(ctx)
	require.NoError(t, err)
	moved := func(what string) {
		t.Helper()
		g, err := store.Generation(ctx)
		require.NoError(t, err)
		require.Greater(t, g, last, "%s moves the generation", what)
		last = g
	}
	still := func(what string) {
		t.Helper()
		g, err := store.Generation(ctx)
		require.NoError(t, err)
		require.Equal(t, last, g, "%s leaves the generation", what)
	}
	ref := control.TenantRef("alpha")
	s.addTenants(t, store, c, "alpha")
	moved("AddTenant")
	require.NoError(t, store.UpdateTenant(ctx, control.Tenant{Code: "alpha", Name: "Alpha", Tier: "premium"}))
	moved("UpdateTenant")
	require.Error(t, store.AddTenant(ctx, control.Tenant{Code: "alpha", Server: "main", Database: "t_alpha2", CreatedAt: c.now}))
	still("a failed AddTenant")
	require.NoError(t, store.MarkTargets(ctx, []string{"alpha"}, "1.0.0"))
	moved("MarkTargets")
	require.NoError(t, store.Begin(ctx, ref, "", "1.0.0"))
	moved("Begin")
	require.NoError(t, store.End(ctx, ref, "1.0.0", nil))
	moved("End")
	require.NoError(t, store.Finish(ctx, ref, control.Outcome{Current: "1.0.0", Err: errors.New("boom"), Actor: "test", Detail: "failed"}))
	moved("Finish")
	require.NoError(t, store.Sync(ctx, ref, "1.0.0"))
	moved("Sync")
	require.NoError(t, store.SetOverride(ctx, "reports", "alpha", flags.OverrideOn, "test"))
	moved("SetOverride")
	require.ErrorIs(t, store.SetOverride(ctx, "reports", "nobody", flags.OverrideOn, "test"), control.ErrTenantNotFound)
	still("a failed SetOverride")

	_, err = store.Tenants(ctx)
	require.NoError(t, err)
	_, err = store.Versions(ctx)
	require.NoError(t, err)
	_, err = store.Overrides(ctx)
	require.NoError(t, err)
	require.NoError(t, store.Audit(ctx, "test", "note", "alpha", "audit entries are not cached"))
	still("reads and audit entries")

	require.NoError(t, store.RemoveTenant(ctx, "alpha"))
	moved("RemoveTenant")
	require.ErrorIs(t, store.RemoveTenant(ctx, "alpha"), control.ErrTenantNotFound)
	still("a failed RemoveTenant")
}

// The registry keeps what AddTenant and UpdateTenant wrote, refuses a
// taken code or database, and forgets a removed tenant with its version
// row and flag overrides.
func (s *suite) testTenants(t *testing.T) {
	ctx := t.Context()
	store, c, _ := s.open(t)
	s.addTenants(t, store, c, "beta", "alpha")
	err := store.AddTenant(ctx, control.Tenant{Code: "gamma", Server: "main", Database: "t_alpha", CreatedAt: c.now})
	require.ErrorIs(t, err, control.ErrTenantExists)

	tenants, err := store.Tenants(ctx)
	require.NoError(t, err)
	require.Len(t, tenants, 2)
	require.Equal(t, "alpha", tenants[0].Code, "ordered by code")
	require.Equal(t, []string{"eu"}, tenants[0].Tags)
	require.Equal(t, []string{}, tenants[0].Features)
	require.True(t, c.now.Equal(tenants[0].CreatedAt))

	require.NoError(t, store.UpdateTenant(ctx, control.Tenant{Code: "alpha", Name: "A", Tier: "premium", Features: []string{"fees"}}))
	alpha, err := store.Tenant(ctx, "alpha")
	require.NoError(t, err)
	require.Equal(t, "premium", alpha.Tier)
	require.Equal(t, []string{"fees"}, alpha.Features)
	require.Equal(t, "t_alpha", alpha.Database, "the database stays")
	require.ErrorIs(t, store.UpdateTenant(ctx, control.Tenant{Code: "nobody"}), control.ErrTenantNotFound)
	_, err = store.Tenant(ctx, "nobody")
	require.ErrorIs(t, err, control.ErrTenantNotFound)

	ft, err := store.FlagTenant(ctx, "alpha")
	require.NoError(t, err)
	require.Equal(t, "premium", ft.Tier)
	require.Nil(t, ft.Version, "no version yet")
	require.NoError(t, store.SetOverride(ctx, "reports", "alpha", flags.OverrideOff, "test"))
	o, err := store.Override(ctx, "reports", "alpha")
	require.NoError(t, err)
	require.Equal(t, flags.OverrideOff, o)

	require.NoError(t, store.RemoveTenant(ctx, "alpha"))
	_, ok, err := store.Version(ctx, control.TenantRef("alpha"))
	require.NoError(t, err)
	require.False(t, ok, "its version row goes with it")
	overrides, err := store.Overrides(ctx)
	require.NoError(t, err)
	require.Empty(t, overrides, "and its overrides")
	fts, err := store.FlagTenants(ctx)
	require.NoError(t, err)
	require.Len(t, fts, 1)
}

// A run's version row goes running, then completed or failed; the
// system database gets a row at its first run.
func (s *suite) testVersions(t *testing.T) {
	ctx := t.Context()
	store, c, _ := s.open(t)
	s.addTenants(t, store, c, "alpha")
	v, ok, err := store.Version(ctx, control.TenantRef("alpha"))
	require.NoError(t, err)
	require.True(t, ok, "AddTenant makes the row")
	require.Equal(t, control.StatusPending, v.Status)

	require.NoError(t, store.Begin(ctx, control.SystemRef, "", "1.0.0"))
	sys, ok, err := store.Version(ctx, control.SystemRef)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, control.StatusRunning, sys.Status)
	require.Equal(t, "1.0.0", sys.TargetVersion)
	require.NoError(t, store.End(ctx, control.SystemRef, "0.9.0", errors.New("statement 2 failed")))
	sys, _, err = store.Version(ctx, control.SystemRef)
	require.NoError(t, err)
	require.Equal(t, control.StatusFailed, sys.Status)
	require.Equal(t, "statement 2 failed", sys.Error)
	require.NoError(t, store.Sync(ctx, control.SystemRef, "0.9.0"))
	sys, _, err = store.Version(ctx, control.SystemRef)
	require.NoError(t, err)
	require.Equal(t, control.StatusCompleted, sys.Status)
	require.Empty(t, sys.Error)

	all, err := store.Versions(ctx)
	require.NoError(t, err)
	require.Len(t, all, 2)
	require.Equal(t, control.SystemRef, all[0].Ref, "the system row first")
}

// A run's schema stamp is kept with its version row by Finish, read back
// with the row, kept by Begin and Sync (the schema does not change with
// them), and dropped by a Finish without one and by End.
func (s *suite) testStamps(t *testing.T) {
	ctx := t.Context()
	store, c, _ := s.open(t)
	s.addTenants(t, store, c, "alpha")
	ref := control.TenantRef("alpha")
	stamp := func() *control.Stamp {
		t.Helper()
		v, ok, err := store.Version(ctx, ref)
		require.NoError(t, err)
		require.True(t, ok)
		return v.Stamp
	}
	require.Nil(t, stamp(), "a new tenant has none")
	want := &control.Stamp{Version: "1.0.0", Value: strings.Repeat("f", 64)}
	require.NoError(t, store.Finish(ctx, ref, control.Outcome{Current: "1.0.0", Actor: "test", Detail: "run", Stamp: want}))
	require.Equal(t, want, stamp())
	require.NoError(t, store.Begin(ctx, ref, "1.0.0", "1.1.0"))
	require.NoError(t, store.Sync(ctx, ref, "1.0.0"))
	require.Equal(t, want, stamp(), "kept by Begin and Sync")
	require.NoError(t, store.Finish(ctx, ref, control.Outcome{Current: "1.1.0", Actor: "test", Detail: "run"}))
	require.Nil(t, stamp(), "a run that read none leaves none")
	require.NoError(t, store.Finish(ctx, ref, control.Outcome{Current: "1.0.0", Actor: "test", Detail: "run", Stamp: want}))
	require.NoError(t, store.End(ctx, ref, "1.0.0", errors.New("boom")))
	require.Nil(t, stamp(), "End leaves none")
}

// BeginTenants marks a batch of tenants as running in one write and
// returns their rows as they were; Unbegin puts a row back exactly. A
// tenant with no row is left alone, and marking the same tenants twice at
// the same instant (which MySQL counts as changing no row) is no error.
func (s *suite) testBeginTenants(t *testing.T) {
	ctx := t.Context()
	store, c, _ := s.open(t)
	s.addTenants(t, store, c, "alpha", "beta")
	c.now = c.now.Add(time.Minute)
	require.NoError(t, store.End(ctx, control.TenantRef("beta"), "1.0.0", errors.New("statement 2 failed")))
	was := versions(t, store)

	c.now = c.now.Add(time.Minute)
	codes := []string{"alpha", "beta", "gamma"} // gamma has no row
	before, err := store.BeginTenants(ctx, codes, "2.0.0")
	require.NoError(t, err)
	require.Len(t, before, 3)
	require.Equal(t, was["alpha"], *before[0])
	require.Equal(t, was["beta"], *before[1])
	require.Nil(t, before[2])

	_, err = store.BeginTenants(ctx, codes, "2.0.0") // the same values again
	require.NoError(t, err)
	marked := versions(t, store)
	require.NotContains(t, marked, "gamma", "a tenant without a row is left alone")
	for _, code := range codes[:2] {
		v := marked[code]
		require.Equal(t, control.StatusRunning, v.Status, code)
		require.Equal(t, "2.0.0", v.TargetVersion, code)
		require.Empty(t, v.Error, code)
		require.NotNil(t, v.StartedAt, code)
		require.True(t, c.now.Equal(*v.StartedAt), code)
	}
	require.Equal(t, "1.0.0", marked["beta"].CurrentVersion, "the current version is left as recorded")

	c.now = c.now.Add(time.Minute)
	require.NoError(t, store.Unbegin(ctx, *before[1]))
	require.Equal(t, was["beta"], versions(t, store)["beta"])

	// A batch larger than one statement takes.
	var many []string
	for i := range 19 {
		code := fmt.Sprintf("t%02d", i)
		many = append(many, code)
		if i != 9 {
			s.addTenants(t, store, c, code)
		}
	}
	before, err = store.BeginTenants(ctx, many, "3.0.0")
	require.NoError(t, err)
	require.Len(t, before, len(many))
	marked = versions(t, store)
	for i, code := range many {
		if i == 9 {
			require.Nil(t, before[i], code)
			continue
		}
		require.Equal(t, code, before[i].Identifier, "in the order of the codes")
		require.Equal(t, control.StatusPending, before[i].Status, code)
		require.Equal(t, control.StatusRunning, marked[code].Status, code)
	}
}

// MarkTargets marks tenants pending towards a target, making rows where
// missing; Unmark takes it back for those still pending towards it.
func (s *suite) testMarkTargets(t *testing.T) {
	ctx := t.Context()
	store, c, _ := s.open(t)
	s.addTenants(t, store, c, "alpha", "beta")
	require.NoError(t, store.End(ctx, control.TenantRef("beta"), "1.0.0", errors.New("boom")))
	require.NoError(t, store.MarkTargets(ctx, []string{"alpha", "beta", "gamma"}, "2.0.0"))
	marked := versions(t, store)
	for _, code := range []string{"alpha", "beta", "gamma"} {
		require.Equal(t, control.StatusPending, marked[code].Status, code)
		require.Equal(t, "2.0.0", marked[code].TargetVersion, code)
	}
	require.NoError(t, store.Begin(ctx, control.TenantRef("gamma"), "", "2.0.0"))
	require.NoError(t, store.Unmark(ctx, []string{"alpha", "beta", "gamma"}, "2.0.0"))
	unmarked := versions(t, store)
	require.Equal(t, control.StatusCompleted, unmarked["alpha"].Status)
	require.Empty(t, unmarked["alpha"].TargetVersion)
	require.Equal(t, control.StatusFailed, unmarked["beta"].Status, "its last run failed")
	require.Equal(t, control.StatusRunning, unmarked["gamma"].Status, "a tenant that started is left alone")
}

// Finish and Record write history rows whose status follows the step:
// success, failed with its error, or rolled back going down.
func (s *suite) testHistory(t *testing.T) {
	ctx := t.Context()
	store, c, _ := s.open(t)
	s.addTenants(t, store, c, "alpha")
	ref := control.TenantRef("alpha")
	step := func(name string, dir control.Direction, err error, note string) control.Step {
		return control.Step{Migration: "v1.0.0/" + name, Version: "1.0.0", Kind: "schema", Direction: dir, Checksum: "c",
			Started: c.now, Duration: 3 * time.Millisecond, Err: err, Note: note}
	}
	require.NoError(t, store.Finish(ctx, ref, control.Outcome{Current: "1.0.0", Err: errors.New("boom"),
		Steps: []control.Step{step("001_a", control.Up, nil, ""), step("002_b", control.Up, errors.New("boom"), "")}, Actor: "test", Detail: "run"}))
	require.NoError(t, store.Record(ctx, ref, step("001_a", control.Down, nil, "restored")))
	history, err := store.History(ctx, ref)
	require.NoError(t, err)
	require.Len(t, history, 3)
	defer func() {
		// A run of more steps than one statement takes, in order.
		var steps []control.Step
		for i := range 17 {
			steps = append(steps, step(fmt.Sprintf("%03d_s", i), control.Up, nil, ""))
		}
		require.NoError(t, store.Finish(ctx, ref, control.Outcome{Current: "1.0.0", Steps: steps, Actor: "test", Detail: "long run"}))
		history, err := store.History(ctx, ref)
		require.NoError(t, err)
		require.Len(t, history, 3+len(steps))
		for i, h := range history[3:] {
			require.Equal(t, steps[i].Migration, h.Migration)
		}
		// Paged by ID, the same entries in the same order.
		var paged []control.HistoryEntry
		for after := int64(0); ; {
			page, err := store.HistoryPage(ctx, ref, after, 6)
			require.NoError(t, err)
			require.LessOrEqual(t, len(page), 6)
			if len(page) == 0 {
				break
			}
			paged, after = append(paged, page...), page[len(page)-1].ID
		}
		require.Equal(t, history, paged)
	}()
	require.Equal(t, control.HistorySuccess, history[0].Status)
	require.Equal(t, control.Up, history[0].Direction)
	require.Equal(t, int64(3), history[0].ExecutionMS)
	require.True(t, c.now.Equal(history[0].ExecutedAt), "%s", history[0].ExecutedAt)
	require.Equal(t, "v1.0.0/001_a", history[0].Migration)
	require.Equal(t, "1.0.0", history[0].Version)
	require.Equal(t, "schema", history[0].Kind)
	require.Equal(t, "c", history[0].Checksum)
	require.Equal(t, control.HistoryFailed, history[1].Status)
	require.Equal(t, "boom", history[1].Error)
	require.Equal(t, control.HistoryRolledBack, history[2].Status)
	require.Equal(t, "restored", history[2].Error, "a note is kept as the message")
	v, _, err := store.Version(ctx, ref)
	require.NoError(t, err)
	require.Equal(t, control.StatusFailed, v.Status)
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
