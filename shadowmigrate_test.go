package herd_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/router"
	"github.com/herdhq/herd/shadow"
)

// shadowSource: v1.0.0 makes pupils; v1.1.0 adds a column and fills it;
// v1.2.0 fails on any pupil (a NOT NULL column without a default on a
// table with rows).
func shadowSource() fstest.MapFS {
	return fstest.MapFS{
		"tenant/v1.0.0/001_pupils.up.sql":   file("CREATE TABLE pupils (id INT NOT NULL PRIMARY KEY, name VARCHAR(40) NOT NULL);"),
		"tenant/v1.0.0/001_pupils.down.sql": file("DROP TABLE pupils;"),
		"tenant/v1.1.0/002_house.up.sql":    file("ALTER TABLE pupils ADD COLUMN house INT NULL;\nUPDATE pupils SET house = id % 4;"),
		"tenant/v1.1.0/002_house.down.sql":  file("ALTER TABLE pupils DROP COLUMN house;"),
		"tenant/v1.2.0/003_bad.up.sql":      file("-- herd:kind data\nINSERT INTO pupils (id, name) SELECT id + 1000, NULL FROM pupils;"),
		"tenant/v1.2.0/003_bad.down.sql":    file("DELETE FROM pupils WHERE id > 1000;"),
	}
}

// shadowDatabase returns the database a tenant's registry row names.
func (b *bundle) tenantDatabase(code string) string {
	b.t.Helper()
	d, err := b.fleet.TenantDetail(b.ctx, code)
	require.NoError(b.t, err)
	return d.Tenant.Database
}

// hasDatabase reports whether the tenant server holds database name.
func (b *bundle) hasDatabase(name string) bool {
	b.t.Helper()
	if b.engine.Name == "sqlite" {
		_, err := os.Stat(filepath.Join(strings.TrimPrefix(b.scratch.ServerDSN, "sqlite:"), name+".db"))
		return err == nil
	}
	return b.onServer(name)
}

// A shadow migration copies the tenant, migrates the copy and switches
// the tenant to it: the tenant then reads and writes the new database at
// the new version, the old one is kept as it was, and each phase is an
// event. rollback switches back, refusing while the new database has
// writes that would be lost; cleanup drops what a switch left. A shadow
// whose migration fails is dropped, the tenant untouched. Where tenants
// swap names (PostgreSQL schemas), the switch and the switch back rename:
// the tenant keeps its name, and the database it leaves takes another.
func TestShadowMigration(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, shadowSource())
		var mu sync.Mutex
		var phases []event.Type
		var frozen map[string]time.Time // the write freezes recorded as the copy was verified
		b.opts.Events = event.SinkFunc(func(ev event.Event) {
			if !strings.HasPrefix(string(ev.Type), "shadow.") {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			phases = append(phases, ev.Type)
			if ev.Type == event.ShadowVerify {
				var err error
				frozen, err = b.control().WriteFreezes(b.ctx)
				require.NoError(t, err)
			}
		})
		b.reopen()
		b.addTenant("alpha")
		require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("alpha"), "1.0.0"))
		_, err := b.fleet.SeedTenant(b.ctx, "alpha", "INSERT INTO pupils (id, name) VALUES (1, 'ada'), (2, 'bo'), (3, 'cy');")
		require.NoError(t, err)
		old := b.tenantDatabase("alpha")
		d, srv := b.tenantServer()
		renames := shadow.Swaps(srv)
		// moved is the copy's name, and the migrated copy's after a switch
		// back; left the old database's after the switch, current the
		// tenant's.
		moved, err := shadow.Name(old, srv.MaxNameLength())
		require.NoError(t, err)
		left, current := old, moved
		wantPhases := []event.Type{event.ShadowCapture, event.ShadowCopy, event.ShadowCatchUp, event.ShadowFreeze, event.ShadowVerify,
			event.ShadowMigrate, event.ShadowCutOver, event.ShadowSwitch}
		if renames {
			left, err = shadow.OldName(old, srv.MaxNameLength())
			require.NoError(t, err)
			current = old
		}

		require.NoError(t, b.fleet.MigrateShadow(b.ctx, "alpha", "1.1.0"))
		var progress int
		phases = slices.DeleteFunc(phases, func(t event.Type) bool {
			if t == event.ShadowCatchUpProgress {
				progress++
			}
			return t == event.ShadowCatchUpProgress
		})
		require.Equal(t, wantPhases, phases)
		require.GreaterOrEqual(t, progress, 2, "a batch caught up online, and one under the freeze")
		require.Contains(t, frozen, "alpha", "routers report the tenant read-only during the freeze")
		after, err := b.control().WriteFreezes(b.ctx)
		require.NoError(t, err)
		require.Empty(t, after, "the freeze ended with the switch")
		require.Equal(t, current, b.tenantDatabase("alpha"))
		b.agree(control.TenantRef("alpha"), "1.1.0")
		require.Equal(t, 3, b.count("alpha", "pupils"))
		require.NoError(t, b.exec("alpha", "UPDATE pupils SET house = 9 WHERE id = 1"), "the new column is there")
		require.True(t, b.hasDatabase(left), "the old database is the rollback point")
		require.Equal(t, renames, !b.hasDatabase(moved), "renamed, the copy's own name is gone")
		oldDB, err := srv.Open(b.ctx, left)
		require.NoError(t, err)
		_, err = oldDB.DB.ExecContext(b.ctx, "INSERT INTO pupils (id, name) VALUES (4, 'di')")
		require.True(t, router.Moved(err), "the old database is sealed: %v", err)
		_, err = oldDB.DB.ExecContext(b.ctx, "UPDATE pupils SET name = 'x' WHERE id = 1")
		require.True(t, router.Moved(err), "%v", err)
		var n int
		require.NoError(t, oldDB.DB.QueryRowContext(b.ctx, "SELECT COUNT(*) FROM pupils").Scan(&n), "reads go on")
		require.Equal(t, 3, n)
		require.NoError(t, oldDB.Close())
		st, err := shadow.Inspect(b.ctx, srv, d, left)
		require.NoError(t, err)
		require.False(t, st.Marked || st.Unfinished, "the sealed old database claims no shadow: %+v", st)
		require.False(t, b.tableExists("alpha", "herd_shadow_of"), "the new database is no longer marked a shadow")
		sws, err := b.fleet.Switches(b.ctx, "alpha")
		require.NoError(t, err)
		require.Len(t, sws, 1)
		require.Equal(t, herd.Switch{ID: sws[0].ID, Tenant: "alpha", Server: sws[0].Server, OldDatabase: left, NewDatabase: current,
			FromVersion: "1.0.0", ToVersion: "1.1.0", State: control.SwitchActive, SwitchedAt: sws[0].SwitchedAt, Renamed: renames}, sws[0])

		run := cliAt(t, b.scratch.ConfigPath)
		require.Contains(t, run(0, "tenant", "show", "alpha"), "switch    "+fmt.Sprint(sws[0].ID)+": "+left+" (v1.0.0) -> "+current+" (v1.1.0)")
		out := run(2, "rollback", "--tenant", "alpha", "--to", "v1.0.0")
		require.Contains(t, out, "1 row changes written to "+current+" since the switch would be lost; --discard-writes")
		require.Equal(t, current, b.tenantDatabase("alpha"), "refused: nothing changed")
		b.agree(control.TenantRef("alpha"), "1.1.0")
		out = run(0, "rollback", "--tenant", "alpha", "--to", "v1.0.0", "--discard-writes")
		if renames {
			require.Contains(t, out, "switched back: "+left+" took the name "+old+" again")
			require.False(t, b.hasDatabase(left), "renamed back")
		} else {
			require.Contains(t, out, "switched back to "+old)
		}
		require.Equal(t, old, b.tenantDatabase("alpha"))
		b.agree(control.TenantRef("alpha"), "1.0.0")
		require.Equal(t, 3, b.count("alpha", "pupils"))
		// An application that still resolves the tenant to the database it
		// left is refused there, to resolve it again: the database it
		// left is sealed in turn.
		newDB, err := srv.Open(b.ctx, moved)
		require.NoError(t, err)
		_, err = newDB.DB.ExecContext(b.ctx, "INSERT INTO pupils (id, name) VALUES (5, 'ed')")
		require.True(t, router.Moved(err), "the database switched back from is sealed: %v", err)
		require.ErrorContains(t, err, "from "+current+" to "+old)
		require.NoError(t, newDB.DB.QueryRowContext(b.ctx, "SELECT COUNT(*) FROM pupils").Scan(&n), "reads go on")
		require.NoError(t, newDB.Close())
		require.NoError(t, b.exec("alpha", "UPDATE pupils SET name = name WHERE id = 1"), "the database switched back to takes writes")

		out = run(0, "cleanup", "--older-than", "0s")
		require.Contains(t, out, "would drop "+moved)
		var listed []herd.Cleanup
		require.NoError(t, json.Unmarshal([]byte(run(0, "cleanup", "--older-than", "0s", "--json")), &listed))
		require.Len(t, listed, 1)
		require.True(t, b.hasDatabase(moved), "listing drops nothing")
		require.Contains(t, run(0, "cleanup", "--older-than", "0s", "--yes"), "dropped "+moved)
		require.False(t, b.hasDatabase(moved))
		require.Contains(t, run(0, "cleanup", "--older-than", "0s"), "nothing to clean up")

		phases = nil
		err = b.fleet.MigrateShadow(b.ctx, "alpha", "1.2.0")
		require.Error(t, err, "003_bad fails on the shadow")
		require.Contains(t, err.Error(), "v1.2.0/003_bad")
		require.Equal(t, event.ShadowAbandoned, phases[len(phases)-1])
		require.Equal(t, old, b.tenantDatabase("alpha"), "the tenant is where it was")
		require.False(t, b.tableExists("alpha", "herd_shadow_changes"), "no capture left")
		require.False(t, b.hasDatabase(moved), "the shadow was dropped")
		require.Equal(t, 3, b.count("alpha", "pupils"))
		sws, err = b.fleet.Switches(b.ctx, "alpha")
		require.NoError(t, err)
		require.Len(t, sws, 1, "no switch recorded")

		require.Contains(t, run(2, "migrate", "--tenant", "alpha", "--to", "v1.1.0", "--strategy", "blue-green"), `--strategy "blue-green"`)
		out = run(0, "migrate", "--tenant", "alpha", "--to", "v1.1.0", "--strategy", "shadow")
		require.Equal(t, current, b.tenantDatabase("alpha"), "through the CLI too")
		switched := "shadow.switch: " + old + " -> " + moved
		if renames {
			switched = "shadow.switch: " + moved + " renamed " + old + ", v1.1.0"
		}
		for _, phase := range []string{"shadow.capture: changes captured; copying to " + moved, "shadow.copy: copied to " + moved,
			"shadow.catchup_progress: 0 changes left to catch up", "shadow.verify: the shadow equals the tenant", switched} {
			require.Contains(t, out, `tenant "alpha": `+phase, "the CLI shows the phases")
		}
		require.Contains(t, run(2, "migrate", "--tenant", "alpha", "--to", "v1.0.0", "--strategy", "shadow"), "a shadow migration goes up")
		require.Contains(t, run(2, "migrate", "--tenant", "alpha", "--to", "v1.2.0", "--strategy", "shadow"),
			"can still switch back: herd cleanup (or herd rollback) first")
		require.Contains(t, run(2, "migrate", "--all", "--strategy", "shadow"), "--strategy shadow migrates one tenant")
	})
}

// A shadow migration that was killed part-way (its capture installed, its
// shadow made) is shown and removed by herd repair, or resumed by the next
// one from its copy, which then runs through with the writes captured
// meanwhile.
func TestShadowMigrationClearsAnInterruptedOne(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, shadowSource())
		b.addTenant("alpha")
		require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("alpha"), "1.0.0"))
		_, err := b.fleet.SeedTenant(b.ctx, "alpha", "INSERT INTO pupils (id, name) VALUES (1, 'ada'), (2, 'bo');")
		require.NoError(t, err)
		old := b.tenantDatabase("alpha")
		d, srv := b.tenantServer()
		sh, err := shadow.Prepare(b.ctx, srv, d, old, nil)
		require.NoError(t, err)
		require.NoError(t, b.exec("alpha", "INSERT INTO pupils (id, name) VALUES (3, 'cy')"), "captured")
		require.NoError(t, sh.Close(), "herd stops here, leaving capture and shadow")

		run := cliAt(t, b.scratch.ConfigPath)
		require.Contains(t, run(0, "repair", "--tenant", "alpha"),
			"an interrupted shadow migration left capture triggers in the tenant (1 changes captured) and its shadow "+sh.Name())
		run(0, "repair", "--tenant", "alpha", "--action", "remove-shadow")
		require.Contains(t, run(0, "repair", "--tenant", "alpha"), "nothing to repair")
		require.False(t, b.hasDatabase(sh.Name()))
		require.Contains(t, run(2, "repair", "--system", "--action", "remove-shadow"), "--action remove-shadow goes with --tenant CODE")

		sh, err = shadow.Prepare(b.ctx, srv, d, old, nil)
		require.NoError(t, err)
		require.NoError(t, sh.Close(), "interrupted again")
		require.NoError(t, b.exec("alpha", "INSERT INTO pupils (id, name) VALUES (4, 'di')"), "captured")
		require.Contains(t, run(0, "migrate", "--tenant", "alpha", "--to", "v1.1.0", "--strategy", "shadow"),
			"resumed the copy "+sh.Name()+" an interrupted shadow migration made, with 1 captured changes to catch up")
		b.agree(control.TenantRef("alpha"), "1.1.0")
		b.requireSwitched("alpha", old)
		require.Equal(t, 4, b.count("alpha", "pupils"), "the writes after each copy are there")
	})
}

// requireSwitched checks that tenant code left database old by a shadow
// switch: the registry names its copy or, where tenants swap names, keeps
// old, which the copy took, the database it left having taken another.
func (b *bundle) requireSwitched(code, old string) {
	b.t.Helper()
	_, srv := b.tenantServer()
	if !shadow.Swaps(srv) {
		require.NotEqual(b.t, old, b.tenantDatabase(code), "%s was switched", code)
		return
	}
	require.Equal(b.t, old, b.tenantDatabase(code), "%s keeps its name", code)
	left, err := shadow.OldName(old, srv.MaxNameLength())
	require.NoError(b.t, err)
	require.True(b.t, b.hasDatabase(left), "%s was switched: the database it left is %s", code, left)
}

// A switch back that stopped after its cut-over in the tenant's databases
// and before the control database recorded it is finished by the next
// herd rollback: where the switch back moves the registry, the database
// it leaves was sealed (the tenant refused writes meanwhile, losing
// none); where it renames, the tenant was on its old schema again, and
// the record is read from the names on the server and the ledgers.
// Either way the tenant ends at the old version, the switch taken back,
// and cleanup drops the migrated copy.
func TestShadowSwitchBackStoppedBeforeItsRecord(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, shadowSource())
		d, srv := b.tenantServer()
		renames := shadow.Swaps(srv)
		b.addTenant("alpha")
		require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("alpha"), "1.0.0"))
		require.NoError(t, b.fleet.MigrateShadow(b.ctx, "alpha", "1.1.0"))
		sws, err := b.fleet.Switches(b.ctx, "alpha")
		require.NoError(t, err)
		sw := sws[0]
		aside, err := shadow.Name(sw.NewDatabase, srv.MaxNameLength())
		require.NoError(t, err)
		name, copied := sw.OldDatabase, sw.NewDatabase // where the tenant is after the switch back, and its copy
		if renames {
			name, copied = sw.NewDatabase, aside
		}

		// The cut-over of a switch back, as herd rollback makes it.
		frozen, err := shadow.FreezeDatabase(b.ctx, srv, d, sw.NewDatabase, time.Second)
		require.NoError(t, err)
		require.NoError(t, shadow.Unseal(b.ctx, srv, d, sw.OldDatabase))
		require.NoError(t, frozen.Seal(b.ctx, sw.OldDatabase))
		if renames {
			require.NoError(t, frozen.SwapNames(b.ctx, sw.OldDatabase, aside))
		}
		require.NoError(t, frozen.Release())
		v, _, err := b.control().Version(b.ctx, control.TenantRef("alpha"))
		require.NoError(t, err)
		require.Equal(t, "1.1.0", v.CurrentVersion, "what the control database still says")
		run := cliAt(t, b.scratch.ConfigPath)
		if renames {
			require.Contains(t, run(0, "repair", "--tenant", "alpha"), "a switch back by rename that the control database did not record")
		} else {
			err := b.exec("alpha", "INSERT INTO pupils (id, name) VALUES (100, 'refused')")
			require.True(t, router.Moved(err), "the tenant refuses writes meanwhile: %v", err)
		}

		run(0, "rollback", "--tenant", "alpha", "--to", "v1.0.0", "--discard-writes")
		b.agree(control.TenantRef("alpha"), "1.0.0")
		require.Equal(t, name, b.tenantDatabase("alpha"))
		require.NoError(t, b.exec("alpha", "INSERT INTO pupils (id, name) VALUES (101, 'taken')"), "the tenant takes writes")
		sws, err = b.fleet.Switches(b.ctx, "alpha")
		require.NoError(t, err)
		require.Len(t, sws, 1)
		require.Equal(t, control.SwitchUndone, sws[0].State)
		require.Equal(t, []string{name, copied}, []string{sws[0].OldDatabase, sws[0].NewDatabase}, "the names as they are now")
		require.Contains(t, run(0, "cleanup", "--older-than", "0s", "--yes"), "dropped "+copied)
		require.False(t, b.hasDatabase(copied))
	})
}

// Where tenants swap names, a database that already bears the name the
// tenant would take at the switch refuses the shadow migration before
// anything is made.
func TestShadowRenameRefusesATakenName(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, shadowSource())
		_, srv := b.tenantServer()
		if !shadow.Swaps(srv) {
			t.Skipf("%s: tenants do not swap names", e.Label)
		}
		b.addTenant("alpha")
		require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("alpha"), "1.0.0"))
		name := b.tenantDatabase("alpha")
		taken, err := shadow.OldName(name, srv.MaxNameLength())
		require.NoError(t, err)
		require.NoError(t, srv.Create(b.ctx, taken))
		t.Cleanup(func() { _ = srv.Drop(context.Background(), taken) })

		err = b.fleet.MigrateShadow(b.ctx, "alpha", "1.1.0")
		require.True(t, herd.IsInputError(err), "%v", err)
		require.ErrorContains(t, err, taken+", the name its database takes at the switch, exists")
		copyName, err := shadow.Name(name, srv.MaxNameLength())
		require.NoError(t, err)
		require.False(t, b.hasDatabase(copyName), "no shadow was made")
		require.False(t, b.tableExists("alpha", "herd_shadow_changes"), "no capture")
		b.agree(control.TenantRef("alpha"), "1.0.0")
	})
}

// tenantServer opens the fleet's tenant server, as herd.yaml declares it.
func (b *bundle) tenantServer() (dialect.Dialect, dialect.Server) {
	b.t.Helper()
	var d dialect.Dialect
	for _, candidate := range herdtest.Dialects() {
		if candidate.Name() == b.engine.Name {
			d = candidate
		}
	}
	tenancy := dialect.DatabasePerTenant
	if b.engine.SchemaPerTenant() {
		tenancy = dialect.SchemaPerTenant
	}
	srv, err := d.OpenServer(b.ctx, dialect.ServerConfig{Name: "main", DSN: b.scratch.ServerDSN, Tenancy: tenancy})
	require.NoError(b.t, err)
	b.t.Cleanup(func() { srv.Close() })
	return d, srv
}

// A rollout whose wave says strategy: shadow migrates each of its tenants
// by a shadow migration, and takes no snapshot of them.
func TestRolloutByShadow(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, shadowSource())
		b.scratch.WriteConfig(t, b.scratch.Config("rollout:\n  snapshots: always\n  waves:\n    - {name: all, strategy: shadow}\n"))
		b.reopen()
		before := map[string]string{}
		for _, code := range []string{"alpha", "beta"} {
			b.addTenant(code)
			require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef(code), "1.0.0"))
			before[code] = b.tenantDatabase(code)
		}
		run := cliAt(t, b.scratch.ConfigPath)
		run(0, "rollout", "start", "--to", "v1.1.0")
		for code, old := range before {
			b.agree(control.TenantRef(code), "1.1.0")
			b.requireSwitched(code, old)
		}
		sns, err := b.fleet.Snapshots(b.ctx, "")
		require.NoError(t, err)
		require.Empty(t, sns, "the old databases are the rollback points")
		sws, err := b.fleet.Switches(b.ctx, "")
		require.NoError(t, err)
		require.Len(t, sws, 2)
	})
}

// A shadow migration killed (SIGKILL) at the end of each of its phases,
// and in the middle of two (the capture installed as the copy begins, and
// after the first batch of captured changes is caught up), while the
// application writes, leaves no freeze behind: the tenant takes writes at
// once, on the database the registry names. Run again, it finishes: the
// tenant is switched, with every row whose write succeeded before, during
// and after the killed run. A run killed after the copy and before the
// shadow was migrated is resumed from its copy; one killed earlier, or
// once the shadow was migrated, starts again. Killed at the cut-over
// (the tenant sealed, its freeze ended, the switch not yet recorded), the
// tenant refuses writes, losing none, until the next run starts again;
// where the cut-over renamed, the tenant is already on its copy, and
// herd repair records the switch.
func TestShadowMigrationSurvivesKills(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, shadowSource())
		b.addTenant("alpha")
		require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("alpha"), "1.0.0"))
		run := cliAt(t, b.scratch.ConfigPath)
		want := map[int]bool{} // the rows whose write succeeded
		insert := func(ctx context.Context, id int) error {
			db, _, err := b.fleet.OpenTenant(ctx, "alpha") // resolved again: the writer follows a switch
			if err != nil {
				return err
			}
			defer db.Close()
			_, err = db.DB.ExecContext(ctx, fmt.Sprintf("INSERT INTO pupils (id, name) VALUES (%d, 'p%d')", id, id))
			return err
		}
		id := 0
		write := func() {
			t.Helper()
			id++
			ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second) // a freeze left behind would hold it
			defer cancel()
			require.NoError(t, insert(ctx, id), "the tenant takes writes")
			want[id] = true
		}
		// present checks that every row in want is on the tenant's
		// database, and returns the rows there.
		present := func(point string) map[int]bool {
			t.Helper()
			db, _, err := b.fleet.OpenTenant(b.ctx, "alpha")
			require.NoError(t, err)
			defer db.Close()
			rows, err := db.DB.QueryContext(b.ctx, "SELECT id FROM pupils")
			require.NoError(t, err)
			defer rows.Close()
			got := map[int]bool{}
			for rows.Next() {
				var n int
				require.NoError(t, rows.Scan(&n))
				got[n] = true
			}
			require.NoError(t, rows.Err())
			for n := range want {
				require.True(t, got[n], "%s: row %d, whose write succeeded, is on the tenant's database", point, n)
			}
			return got
		}
		write()
		background := 1_000_000
		_, srv := b.tenantServer()
		renames := shadow.Swaps(srv)
		for _, point := range []string{"shadow.capture", "shadow.copy", "shadow.catchup_progress", "shadow.catchup",
			"shadow.freeze", "shadow.verify", "shadow.migrate", "shadow.cutover", "shadow.switch"} {
			write()
			before := maps.Clone(want)
			// The application writes all along the killed run; the writes
			// that fail (frozen, or refused by the old database once
			// switched) are not counted.
			stop, done := make(chan struct{}), make(chan []int)
			go func() {
				var ok []int
				for {
					select {
					case <-stop:
						done <- ok
						return
					case <-time.After(5 * time.Millisecond):
					}
					background++
					ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
					if insert(ctx, background) == nil {
						ok = append(ok, background)
					}
					cancel()
				}
			}()
			cmd, out := herdProcess(t, "--config", b.scratch.ConfigPath, "migrate", "--tenant", "alpha", "--to", "v1.1.0", "--strategy", "shadow")
			cmd.Env = append(cmd.Env, "HERD_TEST_CRASH_AT="+point)
			cmd.Run() //nolint:errcheck // it kills itself on purpose
			close(stop)
			succeeded := <-done
			for _, n := range succeeded {
				want[n] = true
			}
			t.Logf("%s: %d writes succeeded during the killed run", point, len(succeeded))
			require.Contains(t, out.String(), "crash point "+point, out.String())
			if point == "shadow.copy" {
				require.Contains(t, run(0, "repair", "--tenant", "alpha"), "its unfinished copy", "killed before the copy was marked")
			}
			switch {
			case point == "shadow.cutover" && renames:
				// Renamed, the switch not recorded: the tenant is on its
				// copy, and herd repair records the switch.
				write()
				present(point)
				require.Contains(t, run(0, "repair", "--tenant", "alpha"), "a switch by rename that the control database did not record")
				require.Contains(t, run(0, "repair", "--tenant", "alpha", "--action", "remove-shadow"), "recorded the switch by rename")
				sws, err := b.fleet.Switches(b.ctx, "alpha")
				require.NoError(t, err)
				require.True(t, len(sws) > 0 && sws[0].Renamed && sws[0].State == control.SwitchActive, "%s: repair recorded the switch: %+v", point, sws)
				b.agree(control.TenantRef("alpha"), "1.1.0")
			case point == "shadow.cutover":
				// Sealed, the switch not made: the tenant refuses writes,
				// never loses one, until the next run removes the seal.
				id++
				err := insert(b.ctx, id)
				require.True(t, router.Moved(err), "%s: the sealed tenant refuses the write: %v", point, err)
				require.Contains(t, run(0, "repair", "--tenant", "alpha"), "sealed by a cut-over whose switch was not made")
				present(point)
			default:
				write()
				present(point)
			}
			again := run(0, "migrate", "--tenant", "alpha", "--to", "v1.1.0", "--strategy", "shadow")
			switch point {
			case "shadow.catchup_progress", "shadow.catchup", "shadow.freeze", "shadow.verify":
				require.Contains(t, again, "resumed the copy", "%s: the copy was finished, the shadow not migrated", point)
			case "shadow.capture", "shadow.copy", "shadow.migrate":
				require.Contains(t, again, "removed what an interrupted shadow migration left", "%s: no copy to resume", point)
			case "shadow.cutover":
				if !renames {
					require.Contains(t, again, "removed what an interrupted shadow migration left", "%s: the migrated copy cannot be resumed", point)
				}
			}
			write()
			b.agree(control.TenantRef("alpha"), "1.1.0")
			present(point)

			// Back to v1.0.0 for the next point, and clean up: the writes
			// after the switch go with it, those before it stay.
			run(0, "rollback", "--tenant", "alpha", "--to", "v1.0.0", "--discard-writes")
			run(0, "cleanup", "--older-than", "0s", "--yes")
			want = before
			want = present(point + ", switched back")
		}
	})
}
