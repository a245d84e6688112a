package herd_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/internal/herdtest"
)

// backfillRows is how many rows the kill test's chunked backfill walks.
const backfillRows = 200_000

// backfillSource: v1.0.0 makes table backfill with backfillRows rows
// (from a table of digits, in one statement every engine runs); v1.1.0
// increments each row's witness column touched once, chunked, with a
// pause between ranges so that a run lasts long enough to be killed many
// times.
func backfillSource() fstest.MapFS {
	return fstest.MapFS{
		"tenant/v1.0.0/001_backfill.up.sql": file(`CREATE TABLE digits (d INT NOT NULL PRIMARY KEY);
INSERT INTO digits (d) VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9);
CREATE TABLE backfill (id INTEGER NOT NULL PRIMARY KEY, touched INT NOT NULL DEFAULT 0);
INSERT INTO backfill (id)
SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d + 100000 * g.d + 1
FROM digits a, digits b, digits c, digits e, digits f, digits g WHERE g.d < 2;
`),
		"tenant/v1.0.0/001_backfill.down.sql": file("DROP TABLE backfill;\nDROP TABLE digits;"),
		"tenant/v1.1.0/002_touch.up.sql": file(`-- herd:chunked table=backfill key=id size=1000 pause=25ms
UPDATE backfill SET touched = touched + 1 WHERE id > :from AND id <= :to;
`),
		"tenant/v1.1.0/002_touch.down.sql": file("UPDATE backfill SET touched = 0;"),
	}
}

// A chunked backfill killed with SIGKILL at random moments, at least ten
// times, and resumed by herd migrate each time, ends with every row
// touched exactly once and the ledger and the control database agreeing.
func TestChunkedBackfillSurvivesKills(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := witnessFleet(t, e, backfillSource(), "", "k%d", 1)
		require.Equal(t, backfillRows, b.count("k1", "backfill"))
		config := b.scratch.ConfigPath
		rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 17))
		kills, attempts := 0, 0
		var progress []int64
		for kills < 10 && attempts < 40 {
			attempts++
			cmd, out := herdProcess(t, "--config", config, "migrate", "--tenant", "k1", "--to", "v1.1.0")
			require.NoError(t, cmd.Start())
			time.Sleep(time.Duration(200+rng.IntN(600)) * time.Millisecond)
			cmd.Process.Kill() //nolint:errcheck // it may have finished
			err := cmd.Wait()
			if err == nil || !strings.Contains(err.Error(), "killed") {
				require.NoError(t, err, out.String())
				break // the backfill finished before this kill
			}
			kills++
			if row, ok := b.ledgerRow("k1", "v1.1.0/002_touch"); ok {
				require.NotNil(t, row.Chunk, row.Describe())
				progress = append(progress, row.Chunk.Rows)
			}
		}
		t.Logf("%s: %d kills in %d runs; rows done after each: %v", e.Label, kills, attempts, progress)
		require.GreaterOrEqual(t, kills, 10, "the backfill must outlast ten kills; make it longer")

		cliAt(t, config)(0, "migrate", "--tenant", "k1", "--to", "v1.1.0")
		db, _, err := b.fleet.OpenTenant(b.ctx, "k1")
		require.NoError(t, err)
		defer db.Close()
		var rows, once int
		require.NoError(t, db.DB.QueryRowContext(b.ctx, "SELECT COUNT(*), SUM(CASE WHEN touched = 1 THEN 1 ELSE 0 END) FROM backfill").Scan(&rows, &once))
		require.Equal(t, backfillRows, rows)
		require.Equal(t, backfillRows, once, "every row touched exactly once")
		row, ok := b.ledgerRow("k1", "v1.1.0/002_touch")
		require.True(t, ok)
		require.Equal(t, execute.StateApplied, row.State)
		require.Equal(t, &execute.Progress{Last: fmt.Sprint(backfillRows), HasLast: true, Rows: backfillRows}, row.Chunk,
			"the ledger counts every row once")
		b.agree(control.TenantRef("k1"), "1.1.0")
	})
}

// ledgerRow returns the ledger row of migration id in tenant code.
func (b *bundle) ledgerRow(code, id string) (execute.Entry, bool) {
	b.t.Helper()
	entries, err := b.fleet.Ledger(b.ctx, control.TenantRef(code))
	require.NoError(b.t, err)
	for _, e := range entries {
		if e.ID == id {
			return e, true
		}
	}
	return execute.Entry{}, false
}

// herd lint refuses a chunked migration whose statement cannot run
// chunked, naming the file and line, with exit 2.
func TestLintRefusesBadChunkedMigrations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, want string
	}{
		{"no :to", "-- herd:chunked table=pupils key=id\nUPDATE pupils SET n = 1 WHERE id > :from;\n",
			"001_fill.up.sql:2: herd:chunked migration's statement does not use :to"},
		{"DDL", "-- herd:chunked table=pupils key=id\nALTER TABLE pupils ADD COLUMN n INT;\n",
			"001_fill.up.sql:2: herd:chunked migration's statement must be a data statement"},
		{"two statements", "-- herd:chunked table=pupils key=id\nDELETE FROM pupils WHERE id > :from AND id <= :to;\nDELETE FROM pupils;\n",
			"001_fill.up.sql:3: herd:chunked migration holds 2 statements"},
		{"bad header", "-- herd:chunked table=pupils\nDELETE FROM pupils WHERE id > :from AND id <= :to;\n",
			"001_fill.up.sql:1: herd:chunked wants table=T key=K"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			run := cliAt(t, filepath.Join(dir, "herd.yaml"))
			run(0, "init", "--dir", dir)
			run(0, "new", "tenant", "v1.0.0", "fill")
			stem := filepath.Join(dir, "migrations", "tenant", "v1.0.0", "001_fill")
			require.NoError(t, os.WriteFile(stem+".up.sql", []byte(tt.body), 0o644))
			require.NoError(t, os.WriteFile(stem+".down.sql", []byte("SELECT 1;\n"), 0o644))
			require.Contains(t, run(2, "lint"), tt.want)
		})
	}
}

// A tenant herd analyze found small runs a chunked migration whole, as
// one statement in one transaction; a large tenant, and one never
// analysed, walk it range by range. Every row is touched once either way.
func TestChunkedRunsWholeForSmallTenants(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := witnessFleet(t, e, fstest.MapFS{
			"tenant/v1.0.0/001_witness.up.sql": file("CREATE TABLE witness (n INT NOT NULL PRIMARY KEY, touched INT NOT NULL DEFAULT 0);"),
			"tenant/v1.1.0/002_touch.up.sql": file(`-- herd:chunked table=witness key=n size=7
UPDATE witness SET touched = touched + 1 WHERE n > :from AND n <= :to;
`),
		}, "large_tenants: {rows: 100}\n", "t%d", 0)
		seeded := map[string]int{"big": 150, "little": 10, "unseen": 10}
		for _, code := range []string{"big", "little", "unseen"} {
			b.addTenant(code)
		}
		require.NoError(t, b.fleet.MigrateAll(b.ctx, "1.0.0", 3))
		for code, n := range seeded {
			seedWitness(t, b, code, n)
		}
		_, err := b.fleet.AnalyzeTenants(b.ctx, herd.Selection{Tenants: "big,little"}, 2)
		require.NoError(t, err)

		run := cliAt(t, b.scratch.ConfigPath)
		require.Contains(t, run(0, "plan", "--tenant", "little"), "chunked: runs whole, as one statement (small tenant)")
		require.Contains(t, run(0, "plan", "--tenant", "unseen"), "chunked over witness: ranges unknown")
		require.Contains(t, run(0, "plan", "--tenant", "big"), "chunked over witness: ")
		var p struct {
			Steps []struct {
				Migration string              `json:"migration"`
				Chunked   *herd.ChunkEstimate `json:"chunked"`
			} `json:"steps"`
		}
		require.NoError(t, json.Unmarshal([]byte(run(0, "plan", "--tenant", "big", "--json")), &p))
		require.Len(t, p.Steps, 1)
		c := p.Steps[0].Chunked
		require.NotNil(t, c)
		require.True(t, c.Analyzed)
		require.False(t, c.Whole)
		require.InDelta(t, 150, c.Rows, 15, "the analysis' rows (an estimate on some engines)")
		require.Equal(t, (c.Rows+6)/7, c.Ranges, "ranges of seven keys")

		require.NoError(t, b.fleet.MigrateAll(b.ctx, "1.1.0", 3))
		for code, n := range seeded {
			row, ok := b.ledgerRow(code, "v1.1.0/002_touch")
			require.True(t, ok, code)
			require.Equal(t, execute.StateApplied, row.State, code)
			if code == "little" {
				require.Nil(t, row.Chunk, "%s is small: no ranges", code)
			} else {
				require.NotNil(t, row.Chunk, "%s walks its key", code)
				require.Equal(t, int64(n), row.Chunk.Rows, code)
			}
			db, _, err := b.fleet.OpenTenant(b.ctx, code)
			require.NoError(t, err)
			var once int
			require.NoError(t, db.DB.QueryRowContext(b.ctx, "SELECT COUNT(*) FROM witness WHERE touched = 1").Scan(&once))
			require.NoError(t, db.Close())
			require.Equal(t, n, once, "%s: every row touched once", code)
		}
	})
}

// rollout status shows how far a failed tenant's chunked migration got:
// the rows and the last key its committed ranges record, and the share of
// the table's rows.
func TestRolloutStatusShowsChunkProgress(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, fstest.MapFS{
			// Key 5 may not be touched: the third range of two keys fails.
			"tenant/v1.0.0/001_t.up.sql": file(`CREATE TABLE t (k INT NOT NULL PRIMARY KEY, touched INT NOT NULL DEFAULT 0, lim INT NOT NULL DEFAULT 1, CHECK (touched <= lim));
INSERT INTO t (k, lim) VALUES (1, 1), (2, 1), (3, 1), (4, 1), (5, 0), (6, 1);`),
			"tenant/v1.1.0/002_touch.up.sql": file(`-- herd:chunked table=t key=k size=2
UPDATE t SET touched = touched + 1 WHERE k > :from AND k <= :to;
`),
		})
		b.addTenant("alpha")
		run := cliAt(t, b.scratch.ConfigPath)
		run(1, "rollout", "start", "--to", "v1.1.0")
		require.Contains(t, run(0, "rollout", "status"), "alpha: v1.1.0/002_touch chunked over t: 4 rows, k up to 4 committed")
		var rep herd.RolloutReport
		require.NoError(t, json.Unmarshal([]byte(run(0, "rollout", "status", "--json")), &rep))
		require.Len(t, rep.Tenants, 1)
		require.Equal(t, &herd.ChunkRun{Migration: "v1.1.0/002_touch", Table: "t", Key: "k", Last: "4", Rows: 4}, rep.Tenants[0].Chunk)
	})
}

// herd lint --rehearse runs the tenant migrations on a scratch database of
// each engine: a chunked migration whose key cannot be walked there fails
// at its file and line (exit 2); a sound source runs through.
func TestLintRehearsesChunkedKeys(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		tests := []struct {
			name, table string
			code        int
			want        string
		}{
			{"not unique", "CREATE TABLE pupils (id INT NOT NULL PRIMARY KEY, k INT NOT NULL, n INT);", 2,
				"002_fill.up.sql:2: v1.1.0/002_fill fails on " + e.Name},
			{"sound", "CREATE TABLE pupils (id INT NOT NULL PRIMARY KEY, k INT NOT NULL UNIQUE, n INT);", 0,
				"rehearsed on " + e.Name},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				b := setup(t, e, fstest.MapFS{
					"tenant/v1.0.0/001_pupils.up.sql":   file(tt.table),
					"tenant/v1.0.0/001_pupils.down.sql": file("DROP TABLE pupils;"),
					"tenant/v1.1.0/002_fill.up.sql":     file("-- herd:chunked table=pupils key=k\nUPDATE pupils SET n = 1 WHERE k > :from AND k <= :to;\n"),
					"tenant/v1.1.0/002_fill.down.sql":   file("UPDATE pupils SET n = NULL;"),
				})
				out := cliAt(t, b.scratch.ConfigPath)(tt.code, "lint", "--rehearse")
				require.Contains(t, out, tt.want)
				if tt.code != 0 {
					require.Contains(t, out, "table pupils, key k: it is not unique")
				} else {
					require.Contains(t, out, "2 tenant migrations ran")
				}
			})
		}
	})
}
