package herd_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/plan"
)

func file(body string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(body)} }

// brokenThird is a source whose v1.1.0 migration fails in its third
// statement; its down mirrors the up statement by statement.
func brokenThird() fstest.MapFS {
	return fstest.MapFS{
		"tenant/v1.0.0/001_base.up.sql":     file("CREATE TABLE base (id INT PRIMARY KEY);"),
		"tenant/v1.0.0/001_base.down.sql":   file("DROP TABLE base;"),
		"tenant/v1.1.0/002_broken.up.sql":   file("CREATE TABLE first_t (id INT);\nCREATE TABLE second_t (id INT);\nINSERT INTO no_such_table VALUES (1);\nCREATE TABLE fourth_t (id INT);\n"),
		"tenant/v1.1.0/002_broken.down.sql": file("DROP TABLE fourth_t;\nDELETE FROM base WHERE id < 0;\nDROP TABLE second_t;\nDROP TABLE first_t;\n"),
	}
}

func TestFailureInThirdStatement(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, brokenThird())
		b.addTenant("alpha")
		alpha := control.TenantRef("alpha")
		require.NoError(t, b.fleet.Migrate(b.ctx, alpha, "1.0.0"))

		err := b.fleet.Migrate(b.ctx, alpha, "1.1.0")
		var failed *execute.MigrationError
		require.ErrorAs(t, err, &failed)
		require.Equal(t, "v1.1.0/002_broken", failed.Migration)
		require.Equal(t, 3, failed.Statement)
		require.ErrorContains(t, err, `migrate tenant "alpha": v1.1.0/002_broken (up) statement 3 (tenant/v1.1.0/002_broken.up.sql:3)`)
		require.False(t, herd.IsInputError(err))

		v, _, err := b.control().Version(b.ctx, alpha)
		require.NoError(t, err)
		require.Equal(t, control.StatusFailed, v.Status)
		require.Equal(t, "1.0.0", v.CurrentVersion)
		require.Contains(t, v.Error, "statement 3")

		entries, err := b.fleet.Ledger(b.ctx, alpha)
		require.NoError(t, err)
		if e.Name != "mysql" {
			// Transactional DDL: the tenant is exactly at the previous migration.
			require.Len(t, entries, 1)
			require.False(t, b.tableExists("alpha", "first_t"))
			require.False(t, b.tableExists("alpha", "second_t"))
			return
		}
		// MySQL: the first two statements committed; the ledger says so.
		require.Len(t, entries, 2)
		dirty := entries[1]
		require.Equal(t, execute.StateDirty, dirty.State)
		require.Equal(t, 2, dirty.StatementsDone)
		require.Equal(t, 3, dirty.StatementStarted)
		require.Equal(t, 4, dirty.StatementsTotal)
		require.Contains(t, dirty.Error, "no_such_table")
		require.False(t, dirty.Uncertain())
		require.True(t, b.tableExists("alpha", "first_t"))
		require.True(t, b.tableExists("alpha", "second_t"))

		// Later runs refuse the tenant until it is repaired.
		err = b.fleet.Migrate(b.ctx, alpha, "1.1.0")
		var refused *plan.RefusedError
		require.ErrorAs(t, err, &refused)
		require.Equal(t, plan.Dirty, refused.Reason)

		// Roll back the two statements that ran, with down statements 3 and 4.
		before, err := b.fleet.Repair(b.ctx, alpha, execute.Rollback, execute.UncertainUnknown)
		require.NoError(t, err)
		require.Equal(t, "v1.1.0/002_broken", before.ID)
		require.False(t, b.tableExists("alpha", "first_t"))
		require.False(t, b.tableExists("alpha", "second_t"))
		b.agree(alpha, "1.0.0")
		_, err = b.fleet.Repair(b.ctx, alpha, execute.Rollback, execute.UncertainUnknown)
		require.ErrorIs(t, err, execute.ErrNotDirty)
	})
}

func TestRepairRetryAfterFix(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		src := brokenThird()
		// Outside a transaction on every engine, so each leaves a dirty record.
		src["tenant/v1.1.0/002_broken.up.sql"] = file("-- herd:no-transaction\n" + string(src["tenant/v1.1.0/002_broken.up.sql"].Data))
		b := setup(t, e, src)
		b.addTenant("alpha")
		alpha := control.TenantRef("alpha")
		require.Error(t, b.fleet.Migrate(b.ctx, alpha, "1.1.0"))

		// Fix the third statement in place (same statement count), then retry from it.
		path := filepath.Join(b.scratch.Dir, "migrations", "tenant", "v1.1.0", "002_broken.up.sql")
		require.NoError(t, os.WriteFile(path, []byte("-- herd:no-transaction\nCREATE TABLE first_t (id INT);\nCREATE TABLE second_t (id INT);\nINSERT INTO base VALUES (1);\nCREATE TABLE fourth_t (id INT);\n"), 0o644))
		b.reopen()
		_, err := b.fleet.Repair(b.ctx, alpha, execute.Retry, execute.UncertainUnknown)
		require.NoError(t, err)
		require.True(t, b.tableExists("alpha", "fourth_t"))

		// The retry ran the fixed script and recorded its checksum.
		b.agree(alpha, "1.1.0")
	})
}

func TestRepairByMarking(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		src := brokenThird()
		src["tenant/v1.1.0/002_broken.up.sql"] = file("-- herd:no-transaction\n" + string(src["tenant/v1.1.0/002_broken.up.sql"].Data))
		b := setup(t, e, src)
		b.addTenant("alpha")
		alpha := control.TenantRef("alpha")
		require.Error(t, b.fleet.Migrate(b.ctx, alpha, "1.1.0"))

		// The operator undid statements 1 and 2 by hand.
		before, err := b.fleet.Repair(b.ctx, alpha, execute.MarkRolledBack, execute.UncertainUnknown)
		require.NoError(t, err)
		require.Equal(t, 2, before.StatementsDone)
		b.agree(alpha, "1.0.0")

		// This time the operator finishes the migration by hand. The
		// statements left in place conflict with the path, which the
		// pre-flight says before anything runs; the operator, who knows,
		// runs it without.
		err = b.fleet.Migrate(b.ctx, alpha, "1.1.0")
		var conflict *herd.ConflictError
		require.ErrorAs(t, err, &conflict)
		require.Equal(t, 1, conflict.Statement)
		b.scratch.WriteConfig(t, b.scratch.Config("on_conflict: skip\n"))
		b.reopen()
		require.Error(t, b.fleet.Migrate(b.ctx, alpha, "1.1.0"))
		_, err = b.fleet.Repair(b.ctx, alpha, execute.MarkApplied, execute.UncertainUnknown)
		require.NoError(t, err)
		b.agree(alpha, "1.1.0")
		require.NoError(t, b.fleet.Migrate(b.ctx, alpha, "1.1.0"), "nothing left to do")
	})
}

// A migration of data statements only runs in a transaction on every
// engine, MySQL included, so its failure leaves nothing behind.
func TestDataMigrationIsAtomicEverywhere(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		src := brokenThirdWithout002()
		src["tenant/v1.1.0/002_fill.up.sql"] = file("-- herd:kind data\nINSERT INTO base (id) VALUES (1);\nINSERT INTO base (id) VALUES (2);\nINSERT INTO base (id) VALUES (1);\n")
		src["tenant/v1.1.0/002_fill.down.sql"] = file("DELETE FROM base;\n")
		b := setup(t, e, src)
		b.addTenant("alpha")
		alpha := control.TenantRef("alpha")
		require.NoError(t, b.fleet.Migrate(b.ctx, alpha, "1.0.0"))
		err := b.fleet.Migrate(b.ctx, alpha, "1.1.0")
		var failed *execute.MigrationError
		require.ErrorAs(t, err, &failed)
		require.Equal(t, 3, failed.Statement)
		require.Equal(t, 0, b.count("alpha", "base"), "the two inserts that worked were rolled back")
		entries, err := b.fleet.Ledger(b.ctx, alpha)
		require.NoError(t, err)
		require.Len(t, entries, 1, "no dirty record: nothing to repair")
	})
}

// Where every step of a path can run in a transaction, the path commits as
// one: a failure in its last migration leaves the tenant where it started.
func TestPathCommitsWhole(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		if e.Name == "mysql" {
			t.Skip("MySQL commits DDL implicitly: each migration commits on its own there")
		}
		b := setup(t, e, brokenThird())
		b.addTenant("alpha")
		alpha := control.TenantRef("alpha")
		err := b.fleet.Migrate(b.ctx, alpha, "1.1.0")
		require.ErrorContains(t, err, "the path was rolled back whole")
		entries, err := b.fleet.Ledger(b.ctx, alpha)
		require.NoError(t, err)
		require.Empty(t, entries)
		require.False(t, b.tableExists("alpha", "base"))
		history, err := b.control().History(b.ctx, alpha)
		require.NoError(t, err)
		require.Len(t, history, 1)
		require.Equal(t, "v1.1.0/002_broken", history[0].Migration)
		require.Equal(t, control.HistoryFailed, history[0].Status)
	})
}

// A path longer than one ledger statement holds (500 rows) is recorded
// whole: the ledger rows of a path are written together before it
// commits. Data-only migrations keep it one transaction on MySQL too.
func TestLongPathLedger(t *testing.T) {
	t.Parallel()
	const n = 601
	migrations := fstest.MapFS{}
	for i := 1; i <= n; i++ {
		migrations[fmt.Sprintf("tenant/v1.0.0/%03d_noop.up.sql", i)] = &fstest.MapFile{Data: []byte("SELECT 1;\n")}
	}
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, migrations)
		b.addTenant("alpha")
		alpha := control.TenantRef("alpha")
		require.NoError(t, b.fleet.Migrate(b.ctx, alpha, "1.0.0"))
		entries, err := b.fleet.Ledger(b.ctx, alpha)
		require.NoError(t, err)
		require.Len(t, entries, n)
		require.Equal(t, "v1.0.0/601_noop", entries[n-1].ID)
		b.agree(alpha, "1.0.0")
	})
}

// Between two migrations that run outside a transaction herd writes the
// ledger once: the first one's "applied" and the second one's "statement 1
// started" together. A run stopped right there takes that row back, so the
// second migration is left as never begun, not as one whose first
// statement's outcome is unknown; the next run simply applies it.
func TestStoppedBetweenStepsOutsideTransactions(t *testing.T) {
	t.Parallel()
	src := fstest.MapFS{
		"tenant/v1.0.0/001_a.up.sql": file("-- herd:no-transaction\nCREATE TABLE a (id INT);\nCREATE TABLE a2 (id INT);\n"),
		"tenant/v1.0.0/002_b.up.sql": file("-- herd:no-transaction\nCREATE TABLE b (id INT);\n"),
		"tenant/v1.0.0/003_c.up.sql": file("-- herd:no-transaction\nCREATE TABLE c (id INT);\n"),
	}
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, src)
		b.addTenant("alpha")
		alpha := control.TenantRef("alpha")
		ctx, cancel := context.WithCancel(b.ctx)
		defer cancel()
		observe := event.SinkFunc(func(ev event.Event) {
			if ev.Type == event.MigrationDone && ev.Migration == "v1.0.0/001_a" {
				cancel()
			}
		})
		f, err := herd.Open(b.ctx, b.scratch.Load(t), herdtest.Dialects(), herd.Options{Events: observe})
		require.NoError(t, err)
		defer f.Close()
		require.ErrorIs(t, f.Migrate(ctx, alpha, "1.0.0"), context.Canceled)

		entries, err := f.Ledger(b.ctx, alpha)
		require.NoError(t, err)
		require.Len(t, entries, 1, "only the finished migration has a ledger row")
		require.Equal(t, "v1.0.0/001_a", entries[0].ID)
		require.Equal(t, execute.StateApplied, entries[0].State)
		require.False(t, b.tableExists("alpha", "b"))

		require.NoError(t, f.Migrate(b.ctx, alpha, "1.0.0"))
		b.agree(alpha, "1.0.0")
	})
}

// herd makes each database it creates with its ledger table, so that the
// first migration does not pay for it. A database it adopts is left as it
// is until its first migration, which makes the ledger: inside the path's
// transaction where DDL is transactional, so a failed path leaves none.
func TestLedgerIsMadeWithTheDatabase(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, brokenThird())
		b.addTenant("made")
		require.True(t, b.tableExists("made", execute.DefaultLedgerTable))

		b.scratch.CreateDatabase(t, "adopted")
		b.addTenant("adopted")
		require.False(t, b.tableExists("adopted", execute.DefaultLedgerTable), "an adopted database is left as it is")
		adopted := control.TenantRef("adopted")
		require.Error(t, b.fleet.Migrate(b.ctx, adopted, "1.1.0"))
		require.Equal(t, e.Name == "mysql", b.tableExists("adopted", execute.DefaultLedgerTable),
			"the ledger is made in the failed path's transaction, except where DDL commits (MySQL)")
		if e.Name == "mysql" {
			return // the failed migration is dirty there, for herd repair
		}
		require.NoError(t, b.fleet.Migrate(b.ctx, adopted, "1.0.0"))
		b.agree(adopted, "1.0.0")
	})
}

// A table in the ledger's place that herd cannot read as its ledger (an
// adopted database's own table of that name) is refused, with the
// database named, and nothing is changed.
func TestForeignLedgerTableIsRefused(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, schoolMigrations(t))
		b.scratch.CreateDatabase(t, "foreign")
		b.addTenant("foreign")
		db, d, err := b.fleet.OpenTenant(b.ctx, "foreign")
		require.NoError(t, err)
		defer db.Close()
		_, err = db.DB.ExecContext(b.ctx, "CREATE TABLE "+dialect.Qualify(d, db, execute.DefaultLedgerTable)+" (note VARCHAR(20))")
		require.NoError(t, err)
		before := b.tenantVersions()

		err = b.fleet.Migrate(b.ctx, control.TenantRef("foreign"), "1.0.0")
		require.ErrorContains(t, err, "read the ledger of")
		require.ErrorContains(t, err, `tenant "foreign"`)
		require.Equal(t, before, b.tenantVersions())
		require.False(t, b.tableExists("foreign", "students"), "no migration ran")
	})
}
