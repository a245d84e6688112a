package herd_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/rollout"
	"github.com/herdhq/herd/source"
)

// versionAfter is the tenant version of the School ERP's first n tenant
// migrations: v1.0.0 takes three, v1.1.0 two more, v2.0.0 three more.
var versionAfter = []string{"", "", "", "1.0.0", "1.0.0", "1.1.0", "1.1.0", "1.1.0", "2.0.0"}

// adoptedFleet is a fleet of tenants that goose, golang-migrate and
// Flyway migrated, in turn, to mixed versions (1 to 7 of herd's 8 tenant
// migrations), with one golang-migrate tenant left dirty and one goose
// tenant that ran a migration herd does not have. Their databases exist
// on the fleet's server, and none is registered.
func adoptedFleet(t *testing.T, b *bundle, n int) []legacyTenant {
	t.Helper()
	tools := []herd.Tool{herd.ToolGoose, herd.ToolGolangMigrate, herd.ToolFlyway}
	var tenants []legacyTenant
	for i := range n - 2 {
		tenants = append(tenants, legacyTenant{code: fmt.Sprintf("trust_%03d", i), tool: tools[i%3], applied: 1 + i%7})
	}
	tenants = append(tenants,
		legacyTenant{code: "trust_dirty", tool: herd.ToolGolangMigrate, applied: 5, dirty: true},
		legacyTenant{code: "trust_foreign", tool: herd.ToolGoose, applied: 4, foreign: true})

	buildLegacy(t, b, tenants)
	return tenants
}

// buildLegacy makes the databases of tenants on the fleet's server, as
// their tools left them (see legacyTenant.build), and drops them when the
// test ends.
func buildLegacy(t *testing.T, b *bundle, tenants []legacyTenant) {
	t.Helper()
	ctx := context.Background()
	d := dialect.Named(herdtest.Dialects(), b.engine.Name)
	cfg := b.scratch.Load(t)
	tenancy := dialect.DatabasePerTenant
	if b.engine.SchemaPerTenant() {
		tenancy = dialect.SchemaPerTenant
	}
	srv, err := d.OpenServer(ctx, dialect.ServerConfig{Name: "main", DSN: b.scratch.ServerDSN, Tenancy: tenancy})
	require.NoError(t, err)
	ms := b.source().Migrations(source.Tenant)
	t.Cleanup(func() {
		// Those a failed test left unregistered; Drop passes over the rest.
		for _, lt := range tenants {
			require.NoError(t, srv.Drop(context.Background(), cfg.TenantDatabaseName(lt.code)))
		}
		require.NoError(t, srv.Close())
	})
	for _, lt := range tenants {
		lt.build(t, ctx, srv, d, cfg.TenantDatabaseName(lt.code), ms, b.engine.SchemaPerTenant())
	}
}

// importFile writes the CSV import file of tenants, each tagged with its
// tool, and returns its path.
func importFile(t *testing.T, dir string, tenants []legacyTenant) string {
	t.Helper()
	var csv strings.Builder
	csv.WriteString("code,name,tier,tags\n")
	for i, lt := range tenants {
		tier := []string{"standard", "premium"}[i%2]
		fmt.Fprintf(&csv, "%s,Trust %s,%s,tool=%s\n", lt.code, lt.code, tier, lt.tool)
	}
	path := filepath.Join(dir, "tenants.csv")
	require.NoError(t, os.WriteFile(path, []byte(csv.String()), 0o644))
	return path
}

// An existing fleet comes in: its tenants are imported from a file,
// baselined from the ledgers goose, golang-migrate and Flyway left (the
// dirty tenant and the one with a migration herd lacks refused, the rest
// recorded without running anything), and a rollout to the next release
// then runs each tenant's missing migrations, and only those, once: 50
// tenants on every engine.
func TestAdoptAFleetFromOtherTools(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		const n = 50
		b := setup(t, e, schoolMigrations(t))
		tenants := adoptedFleet(t, b, n)
		ms := b.source().Migrations(source.Tenant)

		path := importFile(t, b.scratch.Dir, tenants)
		report, err := b.fleet.ImportTenants(b.ctx, path, herd.ImportOptions{Batch: 10})
		require.NoError(t, err)
		require.Equal(t, n, report.Count(herd.ImportAdded))
		again, err := b.fleet.ImportTenants(b.ctx, path, herd.ImportOptions{})
		require.NoError(t, err)
		require.Equal(t, n, again.Count(herd.ImportUnchanged), "importing the same file again changes nothing")

		mapping := filepath.Join(b.scratch.Dir, "goose.yaml")
		require.NoError(t, os.WriteFile(mapping, []byte(gooseMapping(ms)), 0o644))
		baseline := func(tool herd.Tool) ([]herd.BaselineOutcome, error) {
			req := herd.BaselineRequest{Selection: herd.Selection{Tenants: "tag:tool=" + string(tool)}, From: tool, Concurrency: 4}
			if tool == herd.ToolGoose {
				req.Mapping = mapping
			}
			return b.fleet.Baseline(b.ctx, req)
		}
		outcomes := map[string]herd.BaselineOutcome{}
		for _, tool := range []herd.Tool{herd.ToolGoose, herd.ToolGolangMigrate, herd.ToolFlyway} {
			out, err := baseline(tool)
			switch tool {
			case herd.ToolGoose:
				require.ErrorContains(t, err, `baseline tenant "trust_foreign": herd's source has no migration for goose's version 20991231000000`)
			case herd.ToolGolangMigrate:
				require.ErrorContains(t, err, `baseline tenant "trust_dirty": golang-migrate left version 5 dirty`)
			default:
				require.NoError(t, err)
			}
			if err != nil {
				var failed *herd.TenantsError
				require.ErrorAs(t, err, &failed)
				require.Equal(t, 1, failed.Failed, "only the bad tenant is refused")
				require.False(t, failed.Refused(), "the others were recorded")
			}
			for _, o := range out {
				outcomes[o.Tenant] = o
			}
		}
		require.Len(t, outcomes, n)

		var good []string
		for _, lt := range tenants {
			o := outcomes[lt.code]
			ref := control.TenantRef(lt.code)
			if lt.dirty || lt.foreign {
				require.Equal(t, herd.BaselineRefused, o.Status, lt.code)
				entries, err := b.fleet.Ledger(b.ctx, ref)
				require.NoError(t, err)
				require.Empty(t, entries, "%s: a refused tenant gets no ledger rows", lt.code)
				continue
			}
			good = append(good, lt.code)
			require.Equal(t, herd.BaselineRecorded, o.Status, "%s: %s", lt.code, o.Reason)
			require.Len(t, o.Migrations, lt.applied, lt.code)
			require.Equal(t, versionAfter[lt.applied], o.Version, lt.code)
			b.agree(ref, versionAfter[lt.applied])
		}

		// Baselining again changes nothing: herd's ledger now knows them.
		for _, tool := range []herd.Tool{herd.ToolGoose, herd.ToolGolangMigrate, herd.ToolFlyway} {
			out, _ := baseline(tool)
			for _, o := range out {
				if o.Tenant != "trust_dirty" && o.Tenant != "trust_foreign" {
					require.Equal(t, herd.BaselineUnchanged, o.Status, o.Tenant)
				}
			}
		}

		m := b.fleet.Rollouts(rollout.Options{})
		r, items, err := m.Start(b.ctx, rollout.StartRequest{Release: "v2.0.0", Selector: strings.Join(good, ",")})
		require.NoError(t, err)
		require.Len(t, items, len(good))
		done, err := m.Work(b.ctx, r.ID)
		require.NoError(t, err)
		require.Equal(t, 0, done.Failed)
		require.Equal(t, control.RolloutCompleted, done.Rollout.Status)

		for _, lt := range tenants {
			if lt.dirty || lt.foreign {
				continue
			}
			ref := control.TenantRef(lt.code)
			b.agree(ref, "2.0.0")
			history, err := b.control().History(b.ctx, ref)
			require.NoError(t, err)
			require.Len(t, history, len(ms), "%s: each migration once, recorded or run", lt.code)
			for i, h := range history {
				require.Equal(t, ms[i].ID(), h.Migration, lt.code)
				require.Equal(t, control.HistorySuccess, h.Status, lt.code)
				if i < lt.applied {
					require.Equal(t, "baseline from "+string(lt.tool), h.Error, "%s: %s was recorded, not run", lt.code, h.Migration)
				} else {
					require.Empty(t, h.Error, "%s: %s ran in the rollout", lt.code, h.Migration)
				}
			}
			require.True(t, b.tableExists(lt.code, toolTable(lt.tool)), "%s: the tool's table stays", lt.code)
		}
	})
}

// toolTable is the ledger table of tool.
func toolTable(tool herd.Tool) string {
	return map[herd.Tool]string{herd.ToolGoose: "goose_db_version", herd.ToolGolangMigrate: "schema_migrations",
		herd.ToolFlyway: "flyway_schema_history"}[tool]
}
