package herd_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/rollout"
)

// analyzeYAML makes tenants of 100 rows or more large, and rolls the
// large ones out last.
const analyzeYAML = `large_tenants: {rows: 100}
rollout:
  waves:
    - {name: small, sizes: [small, unknown]}
    - {name: large, sizes: [large]}
`

// refreshStatistics are the statements after which each engine's
// estimates count the rows seeded.
var refreshStatistics = map[string]string{
	"postgres": "ANALYZE witness;",
	"mysql":    "ANALYZE TABLE witness;",
}

// seedWitness puts n rows in tenant code's witness table and refreshes
// the engine's statistics of it.
func seedWitness(t *testing.T, b *bundle, code string, n int) {
	t.Helper()
	values := make([]string, n)
	for i := range values {
		values[i] = fmt.Sprintf("(%d)", i)
	}
	script := "INSERT INTO witness (n) VALUES " + strings.Join(values, ", ") + ";\n" + refreshStatistics[b.engine.Name]
	_, err := b.fleet.SeedTenant(b.ctx, code, script)
	require.NoError(t, err)
}

// herd analyze measures tenants from the engine's statistics, leaves
// herd's own tables out, records the sizes in the control database, and
// status, tenant details, selectors and waves then know each tenant's
// size class without opening it.
func TestAnalyze(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		var mu sync.Mutex
		var events []event.Event
		b := setup(t, e, witnessSource())
		b.opts.Events = event.SinkFunc(func(ev event.Event) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, ev)
		})
		b.scratch.WriteConfig(t, b.scratch.Config(analyzeYAML))
		b.reopen()
		for _, code := range []string{"big", "little", "unseen"} {
			b.addTenant(code)
		}
		require.NoError(t, b.fleet.MigrateAll(b.ctx, "1.0.0", 3))
		seedWitness(t, b, "big", 150)
		seedWitness(t, b, "little", 10)

		rows, err := b.fleet.Status(b.ctx)
		require.NoError(t, err)
		for _, r := range rows[1:] {
			require.Equal(t, herd.SizeUnknown, r.SizeClass, "%s before any analysis", r.Identifier)
			require.Nil(t, r.Rows)
		}

		sizes, err := b.fleet.AnalyzeTenants(b.ctx, herd.Selection{Tenants: "big,little"}, 2)
		require.NoError(t, err)
		require.Len(t, sizes, 2)
		for i, want := range []struct {
			code string
			rows int64
		}{{"big", 150}, {"little", 10}} {
			sz := sizes[i]
			require.Equal(t, want.code, sz.Tenant)
			require.Len(t, sz.Tables, 1, "herd's own tables are left out: %+v", sz.Tables)
			require.Equal(t, "witness", sz.Tables[0].Table)
			if sz.RowsEstimated {
				require.InDelta(t, want.rows, sz.Rows, 0.1*float64(want.rows)+1, "%s: an estimate after ANALYZE", want.code)
			} else {
				require.Equal(t, want.rows, sz.Rows, want.code)
			}
			require.Equal(t, sz.Tables[0].Rows, sz.Rows)
			require.Positive(t, sz.Bytes)
			require.False(t, sz.AnalyzedAt.IsZero())
		}

		rows, err = b.fleet.Status(b.ctx)
		require.NoError(t, err)
		classes := map[string]herd.SizeClass{}
		for _, r := range rows[1:] {
			classes[r.Identifier] = r.SizeClass
		}
		require.Equal(t, map[string]herd.SizeClass{"big": herd.SizeLarge, "little": herd.SizeSmall, "unseen": herd.SizeUnknown}, classes)

		d, err := b.fleet.TenantDetail(b.ctx, "big")
		require.NoError(t, err)
		require.Equal(t, herd.SizeLarge, d.SizeClass)
		require.NotNil(t, d.Size)
		require.Equal(t, sizes[0].Tables, d.Size.Tables, "read back from the control database")

		// The large tenant goes last, in its own wave; size= selects.
		m := b.fleet.Rollouts(rollout.Options{})
		_, items, err := m.Start(b.ctx, rollout.StartRequest{Release: "v1.1.0", DryRun: true})
		require.NoError(t, err)
		waves := map[string]string{}
		for _, it := range items {
			waves[it.Tenant] = it.WaveName
		}
		require.Equal(t, map[string]string{"big": "large", "little": "small", "unseen": "small"}, waves)
		_, items, err = m.Start(b.ctx, rollout.StartRequest{Release: "v1.1.0", Selector: "size=large", DryRun: true})
		require.NoError(t, err)
		require.Len(t, items, 1)
		require.Equal(t, "big", items[0].Tenant)

		mu.Lock()
		var done []string
		for _, ev := range events {
			if ev.Type == event.AnalysisDone {
				done = append(done, ev.Tenant)
				require.Positive(t, ev.Bytes)
			}
		}
		mu.Unlock()
		require.ElementsMatch(t, []string{"big", "little"}, done)

		_, err = b.fleet.Analyze(b.ctx, "nobody")
		require.Error(t, err)
		require.True(t, herd.IsInputError(err), "an unknown tenant is bad input: %v", err)

		// A tenant that cannot be measured fails alone, and keeps the
		// size it had (none).
		b.scratch.DropTenants(t, []string{"unseen"})
		sizes, err = b.fleet.AnalyzeTenants(b.ctx, herd.Selection{}, 3)
		var te *herd.TenantsError
		require.ErrorAs(t, err, &te)
		require.Equal(t, 1, te.Failed)
		require.Equal(t, 3, te.Total)
		require.Contains(t, err.Error(), `analyze tenant "unseen": `)
		require.Len(t, sizes, 2, "the other tenants are analysed")
		_, class, ok, err := b.fleet.Size(b.ctx, "unseen")
		require.NoError(t, err)
		require.False(t, ok)
		require.Equal(t, herd.SizeUnknown, class)
		mu.Lock()
		defer mu.Unlock()
		var failed []string
		for _, ev := range events {
			if ev.Type == event.AnalysisFailed {
				failed = append(failed, ev.Tenant)
				require.NotEmpty(t, ev.Reason)
			}
		}
		require.Equal(t, []string{"unseen"}, failed)
	})
}

// herd analyze --all --json prints each tenant's size; status --json
// then carries it.
func TestAnalyzeCLI(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, witnessSource())
		b.scratch.WriteConfig(t, b.scratch.Config(analyzeYAML))
		b.reopen()
		b.addTenant("big")
		b.addTenant("little")
		require.NoError(t, b.fleet.MigrateAll(b.ctx, "1.0.0", 2))
		seedWitness(t, b, "big", 120)
		run := cliAt(t, b.scratch.ConfigPath)

		out := run(0, "analyze", "--all", "--json", "--concurrency", "2")
		var sizes []struct {
			Tenant        string `json:"tenant"`
			Rows          int64  `json:"rows"`
			Bytes         int64  `json:"bytes"`
			RowsEstimated bool   `json:"rows_estimated"`
			AnalyzedAt    string `json:"analyzed_at"`
			Tables        []struct {
				Table string `json:"table"`
				Rows  int64  `json:"rows"`
			} `json:"tables"`
		}
		require.NoError(t, json.Unmarshal([]byte(out), &sizes), out)
		require.Len(t, sizes, 2, out)
		require.Equal(t, "big", sizes[0].Tenant)
		require.Equal(t, "little", sizes[1].Tenant)
		require.Equal(t, int64(0), sizes[1].Rows)
		require.Len(t, sizes[0].Tables, 1, out)
		require.Equal(t, "witness", sizes[0].Tables[0].Table)
		require.NotEmpty(t, sizes[0].AnalyzedAt)

		var status []struct {
			Identifier string  `json:"identifier"`
			Rows       *int64  `json:"rows"`
			Bytes      *int64  `json:"bytes"`
			SizeClass  string  `json:"size_class"`
			AnalyzedAt *string `json:"analyzed_at"`
		}
		out = run(0, "status", "--json")
		require.NoError(t, json.Unmarshal([]byte(out), &status), out)
		require.Len(t, status, 3)
		require.Equal(t, "big", status[1].Identifier)
		require.Equal(t, "large", status[1].SizeClass)
		require.NotNil(t, status[1].Rows)
		require.Equal(t, sizes[0].Rows, *status[1].Rows)
		require.NotNil(t, status[1].AnalyzedAt)
		require.Equal(t, "small", status[2].SizeClass)

		require.Contains(t, run(0, "analyze", "--all"), "analyzed 2 tenants: 1 large, 1 small\n")
		require.Contains(t, run(0, "tenant", "show", "big"), "size      large: ")
		require.Contains(t, run(0, "plan", "--tenant", "little"), "size: small")
		out = run(0, "analyze", "--tenant", "little")
		require.Contains(t, out, `tenant "little": analyzed, 0 rows`)
		require.Contains(t, out, "(total)")
		require.Contains(t, out, "tenant little is small\n")
		require.Contains(t, run(2, "analyze", "--tenant", "nobody"), "nobody")
		require.Contains(t, run(2, "analyze", "--tenants", "size=huge"), "size=huge")
		run(2, "analyze")
	})
}

// migrate --all keeps to large_tenants.concurrency: the two large tenants
// never migrate at once, while small ones run beside them.
func TestMigrateAllCapsLargeTenants(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, witnessSource())
		b.scratch.WriteConfig(t, b.scratch.Config(analyzeYAML))
		b.reopen()
		codes := []string{"big1", "big2", "little1", "little2"}
		for _, code := range codes {
			b.addTenant(code)
		}
		require.NoError(t, b.fleet.MigrateAll(b.ctx, "1.0.0", 4))
		seedWitness(t, b, "big1", 150)
		seedWitness(t, b, "big2", 150)
		_, err := b.fleet.AnalyzeTenants(b.ctx, herd.Selection{}, 4)
		require.NoError(t, err)

		var (
			mu                sync.Mutex
			inFlight          = map[string]bool{}
			largeAtOnce, most int
		)
		b.opts.Events = event.SinkFunc(func(ev event.Event) {
			if ev.Tenant == "" || ev.Type != event.MigrationStarted && ev.Type != event.MigrationDone {
				return
			}
			large := strings.HasPrefix(ev.Tenant, "big")
			mu.Lock()
			if ev.Type == event.MigrationStarted {
				inFlight[ev.Tenant] = true
				if large {
					largeAtOnce++
				}
				most = max(most, largeAtOnce)
			} else {
				delete(inFlight, ev.Tenant)
				if large {
					largeAtOnce--
				}
			}
			mu.Unlock()
			if ev.Type == event.MigrationStarted && large {
				// The migration is held here (events are synchronous), so
				// that a second large one would start meanwhile if allowed.
				time.Sleep(300 * time.Millisecond)
			}
		})
		b.reopen()
		require.NoError(t, b.fleet.MigrateAll(b.ctx, "1.1.0", 4))
		require.Equal(t, 1, most, "at most one large tenant at once")
		rows, err := b.fleet.Status(b.ctx)
		require.NoError(t, err)
		for _, r := range rows[1:] {
			require.Equal(t, "1.1.0", r.CurrentVersion, r.Identifier)
		}
	})
}
