package herd_test

import (
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/drift"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/internal/herdtest"
)

// The pre-flight refuses a tenant whose pending path conflicts with its
// customised schema before any statement runs (a column that already
// exists; a column a custom view uses, which PostgreSQL and SQLite refuse
// to drop and MySQL drops, leaving the view broken), lets the other
// tenants through; on_conflict: adopt_identical takes a column that
// exists as the migration would make it as added, and skip turns the
// pre-flight off.
func TestPreflightRefusesConflicts(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, driftSource())
		for _, code := range []string{"clean", "taken", "differs", "viewdep"} {
			b.addTenant(code)
		}
		require.NoError(t, b.fleet.MigrateTenants(b.ctx, herd.Selection{Tenants: "clean,taken,differs"}, "1.0.0", 2))
		require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("viewdep"), "1.1.0"))
		_, err := b.fleet.SeedTenant(b.ctx, "taken", "ALTER TABLE students ADD COLUMN email VARCHAR(200);")
		require.NoError(t, err)
		_, err = b.fleet.SeedTenant(b.ctx, "differs", "ALTER TABLE students ADD COLUMN email VARCHAR(50);")
		require.NoError(t, err)
		_, err = b.fleet.SeedTenant(b.ctx, "viewdep", "CREATE VIEW custom_emails AS SELECT id, email FROM students;")
		require.NoError(t, err)
		before := b.snapshot()

		// herd plan --rehearse finds the conflict on demand.
		run := cliAt(t, b.scratch.ConfigPath)
		out := run(2, "plan", "--tenant", "taken", "--to", "1.1.0", "--rehearse")
		assert.Contains(t, out, "v1.1.0/002_email statement 1")
		out = run(0, "plan", "--tenant", "clean", "--to", "1.1.0", "--rehearse")
		assert.Contains(t, out, "rehearsed on a copy of the tenant's schema: no conflict")
		require.ErrorAs(t, b.fleet.Preflight(b.ctx, "viewdep", "1.2.0"), new(*herd.ConflictError))

		err = b.fleet.Migrate(b.ctx, control.TenantRef("taken"), "1.1.0")
		var conflict *herd.ConflictError
		require.ErrorAs(t, err, &conflict)
		assert.True(t, herd.IsInputError(err))
		assert.Equal(t, "taken", conflict.Tenant)
		assert.Equal(t, "v1.1.0/002_email", conflict.Migration)
		assert.Equal(t, 1, conflict.Statement)
		assert.Contains(t, conflict.File, "002_email.up.sql")
		assert.Contains(t, err.Error(), "email", "the engine's error names the object")

		err = b.fleet.Migrate(b.ctx, control.TenantRef("viewdep"), "1.2.0")
		require.ErrorAs(t, err, &conflict, "%v", err)
		assert.Equal(t, "viewdep", conflict.Tenant)
		if conflict.View == "" {
			assert.Equal(t, "v1.2.0/003_no_email", conflict.Migration, "the engine refuses the drop")
		} else {
			assert.Equal(t, "custom_emails", conflict.View, "the engine drops the column and breaks the view")
		}
		assert.Equal(t, before, b.snapshot(), "nothing ran on a refused tenant")

		// What no engine refuses: renaming a table the tenant's own
		// foreign key references (the key follows the rename, the
		// tenant's code that joins by name does not).
		require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("clean"), "1.2.0"))
		_, err = b.fleet.SeedTenant(b.ctx, "clean", "CREATE TABLE custom_house_cups (id INTEGER PRIMARY KEY, house_id INTEGER, "+
			"CONSTRAINT custom_cups_house FOREIGN KEY (house_id) REFERENCES houses (id));")
		require.NoError(t, err)
		err = b.fleet.Migrate(b.ctx, control.TenantRef("clean"), "1.3.0")
		require.ErrorAs(t, err, &conflict, "%v", err)
		assert.Equal(t, "v1.3.0/004_dorms", conflict.Migration)
		assert.Contains(t, err.Error(), "which the tenant's own foreign key custom_house_cups.")
		b.agree(control.TenantRef("clean"), "1.2.0")
		_, err = b.fleet.SeedTenant(b.ctx, "clean", "DROP TABLE custom_house_cups;")
		require.NoError(t, err)
		require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("clean"), "1.0.0"))

		// A fleet-wide run refuses the conflicting tenant and migrates the rest.
		err = b.fleet.MigrateTenants(b.ctx, herd.Selection{Tenants: "clean,taken"}, "1.1.0", 2)
		var failed *herd.TenantsError
		require.ErrorAs(t, err, &failed)
		require.Len(t, failed.Errors, 1)
		require.True(t, errors.As(failed.Errors[0], &conflict))
		b.agree(control.TenantRef("clean"), "1.1.0")
		b.agree(control.TenantRef("taken"), "1.0.0")

		// adopt_identical takes the column taken already has, as the
		// migration defines it, as added, and notes it in the history and
		// the ledger; a
		// column of another type is still refused.
		b.scratch.WriteConfig(t, b.scratch.Config("on_conflict: adopt_identical\n"))
		b.reopen()
		require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("taken"), "1.1.0"))
		b.agree(control.TenantRef("taken"), "1.1.0")
		history, err := b.control().History(b.ctx, control.TenantRef("taken"))
		require.NoError(t, err)
		last := history[len(history)-1]
		assert.Equal(t, "v1.1.0/002_email", last.Migration)
		assert.Equal(t, "resolved: existed: statement 1", last.Error, "the history notes the statement taken as done")
		row, ok := b.ledgerRow("taken", "v1.1.0/002_email")
		require.True(t, ok)
		assert.Equal(t, execute.StateApplied, row.State)
		assert.Equal(t, "resolved: existed: statement 1", row.Note, "and so does the tenant's ledger")
		err = b.fleet.Migrate(b.ctx, control.TenantRef("differs"), "1.1.0")
		require.ErrorAs(t, err, &conflict, "%v", err)
		b.agree(control.TenantRef("differs"), "1.0.0")

		// Without the pre-flight the migration meets the conflict itself.
		b.scratch.WriteConfig(t, b.scratch.Config("on_conflict: skip\n"))
		b.reopen()
		err = b.fleet.Migrate(b.ctx, control.TenantRef("differs"), "1.1.0")
		require.Error(t, err)
		assert.False(t, errors.As(err, &conflict), "no pre-flight: %v", err)
	})
}

// With drift_fresh set, a run whose pre-flight found its tenant at its
// reference records that the tenant is at the next one, as of that
// inspection, and a run within drift_fresh of it trusts that instead of
// inspecting: a change made by hand meanwhile is then met by the run,
// not refused before it. Once the check is older than drift_fresh, the
// pre-flight inspects again and refuses the conflict.
func TestPreflightTrustsAFreshCheck(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, driftSource())
		// The clock starts at the real time: rehearsal databases are named
		// by it, and other fleets on the server sweep old-looking ones.
		now := time.Now().UTC().Truncate(time.Second)
		var clock atomic.Pointer[time.Time]
		clock.Store(&now)
		b.opts.Now = func() time.Time { return *clock.Load() }
		b.scratch.WriteConfig(t, b.scratch.Config("drift_fresh: 10m\n"))
		b.reopen()
		for _, code := range []string{"fresh", "stale"} {
			b.addTenant(code)
			require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef(code), "1.0.0"))
			d, ok, err := b.control().Drift(b.ctx, code)
			require.NoError(t, err)
			require.True(t, ok, "the run recorded the drift check its pre-flight made")
			assert.Equal(t, "1.0.0", d.Version)
			assert.Equal(t, drift.None, d.State)
			assert.True(t, now.Equal(d.CheckedAt), "as of the inspection: %s", d.CheckedAt)
			_, err = b.fleet.SeedTenant(b.ctx, code, "ALTER TABLE students ADD COLUMN email VARCHAR(200);")
			require.NoError(t, err)
		}

		later := now.Add(5 * time.Minute)
		clock.Store(&later)
		err := b.fleet.Migrate(b.ctx, control.TenantRef("fresh"), "1.1.0")
		var conflict *herd.ConflictError
		if _, stamps := e.Dialect().(dialect.SchemaStamper); stamps {
			// The stamp the last run recorded tells the hand-made column,
			// however fresh the check.
			require.ErrorAs(t, err, &conflict, "the schema stamp shows the change: %v", err)
			b.agree(control.TenantRef("fresh"), "1.0.0")
		} else {
			require.Error(t, err, "the hand-made column meets the run")
			assert.False(t, errors.As(err, &conflict), "a fresh check spares the inspection: %v", err)
			v, _, err := b.control().Version(b.ctx, control.TenantRef("fresh"))
			require.NoError(t, err)
			assert.Equal(t, "1.0.0", v.CurrentVersion)
			assert.Equal(t, control.StatusFailed, v.Status, "the run failed on the column")
		}

		stale := now.Add(11 * time.Minute)
		clock.Store(&stale)
		err = b.fleet.Migrate(b.ctx, control.TenantRef("stale"), "1.1.0")
		require.ErrorAs(t, err, &conflict, "a check older than drift_fresh is inspected again: %v", err)
		b.agree(control.TenantRef("stale"), "1.0.0")
	})
}

// A run that leaves a tenant at its reference records its schema stamp
// where the engine has one (SQLite), and the next run's
// pre-flight, finding the same stamp, does not inspect the tenant; a
// schema changed by hand since has another stamp, is inspected and its
// conflict refused before anything runs. MySQL has no stamp: nothing is
// recorded, and every pre-flight inspects.
func TestPreflightTrustsAnUnchangedStamp(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, driftSource())
		var logs herdtest.Log
		b.opts.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		b.reopen()
		_, stamps := e.Dialect().(dialect.SchemaStamper)
		stamp := func(code string) (control.Stamp, bool) {
			t.Helper()
			v, ok, err := b.control().Version(b.ctx, control.TenantRef(code))
			require.NoError(t, err)
			require.True(t, ok)
			if v.Stamp == nil {
				return control.Stamp{}, false
			}
			return *v.Stamp, true
		}
		for _, code := range []string{"kept", "changed"} {
			b.addTenant(code)
			require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef(code), "1.0.0"))
			st, ok := stamp(code)
			require.Equal(t, stamps, ok, "a stamp is recorded where the engine has one")
			assert.Equal(t, map[bool]string{true: "1.0.0"}[stamps], st.Version)
		}
		_, err := b.fleet.SeedTenant(b.ctx, "changed", "ALTER TABLE students ADD COLUMN email VARCHAR(200);")
		require.NoError(t, err)

		trusted := func(code, from string) bool {
			return strings.Contains(logs.String(), "not inspected\" tenant="+code+" version="+from)
		}
		require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("kept"), "1.1.0"))
		assert.Equal(t, stamps, trusted("kept", "1.0.0"), "the unchanged stamp spares the inspection:\n%s", logs.String())
		st, ok := stamp("kept")
		require.Equal(t, stamps, ok)
		assert.Equal(t, map[bool]string{true: "1.1.0"}[stamps], st.Version, "the run stamped the next reference")
		b.agree(control.TenantRef("kept"), "1.1.0")

		err = b.fleet.Migrate(b.ctx, control.TenantRef("changed"), "1.1.0")
		var conflict *herd.ConflictError
		require.ErrorAs(t, err, &conflict, "the hand-made column is found before anything runs: %v", err)
		assert.False(t, trusted("changed", "1.0.0"))
		b.agree(control.TenantRef("changed"), "1.0.0")
		_, ok = stamp("changed")
		assert.Equal(t, stamps, ok, "a refused run leaves the row as it was")
	})
}

// A tenant's first migration has nothing but an empty schema to conflict
// with: one without tables is not inspected (see Inspector.HasTables),
// and one whose database already holds a table the path creates is
// refused before anything runs.
func TestPreflightOfAFirstMigration(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, driftSource())
		b.addTenant("empty")
		b.addTenant("seeded")
		_, err := b.fleet.SeedTenant(b.ctx, "seeded", "CREATE TABLE houses (id INTEGER PRIMARY KEY);")
		require.NoError(t, err)

		require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("empty"), "1.0.0"))
		b.agree(control.TenantRef("empty"), "1.0.0")
		err = b.fleet.Migrate(b.ctx, control.TenantRef("seeded"), "1.0.0")
		var conflict *herd.ConflictError
		require.ErrorAs(t, err, &conflict, "the hand-made table is found before anything runs: %v", err)
		assert.Equal(t, "v1.0.0/001_houses", conflict.Migration)
		b.agreeAt(control.TenantRef("seeded"), "", control.StatusPending)
	})
}
