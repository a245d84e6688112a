package herd_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/internal/flyway"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/source"
)

// register registers the existing databases of tenants.
func (b *bundle) register(tenants []legacyTenant) {
	b.t.Helper()
	for _, lt := range tenants {
		_, err := b.fleet.AddTenant(b.ctx, herd.TenantSpec{Code: lt.code, ExistingOnly: true})
		require.NoError(b.t, err)
	}
}

// --from none declares tenants at a version once their schema matches its
// reference: one that drifted from it, or that is behind it, is refused.
func TestBaselineFromNone(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, schoolMigrations(t))
		tenants := []legacyTenant{
			{code: "exact", tool: herd.ToolNone, applied: 3},
			{code: "drifted", tool: herd.ToolNone, applied: 3, after: []string{"CREATE TABLE stray (id INT)"}},
			{code: "behind", tool: herd.ToolNone, applied: 2},
		}
		buildLegacy(t, b, tenants)
		b.register(tenants)

		_, err := b.fleet.Baseline(b.ctx, herd.BaselineRequest{Selection: herd.Selection{Tenants: "exact"}, From: herd.ToolNone})
		require.True(t, herd.IsInputError(err), "--from none needs --to: %v", err)

		out, err := b.fleet.Baseline(b.ctx, herd.BaselineRequest{Selection: herd.Selection{Tenants: "exact,drifted,behind"}, From: herd.ToolNone, To: "v1.0.0"})
		var failed *herd.TenantsError
		require.ErrorAs(t, err, &failed)
		require.Equal(t, 2, failed.Failed, "%v", out)
		byCode := map[string]herd.BaselineOutcome{}
		for _, o := range out {
			byCode[o.Tenant] = o
		}
		require.Equal(t, herd.BaselineRecorded, byCode["exact"].Status, byCode["exact"].Reason)
		require.Equal(t, []string{"v1.0.0/001_create_students", "v1.0.0/002_create_classes", "v1.0.0/003_create_teachers"}, byCode["exact"].Migrations)
		b.agree(control.TenantRef("exact"), "1.0.0")
		recorded, err := b.fleet.Ledger(b.ctx, control.TenantRef("exact"))
		require.NoError(t, err)
		require.Len(t, recorded, 3)
		for _, e := range recorded {
			require.Equal(t, "baseline from none", e.Note, "%s: the ledger says how the row came about", e.ID)
		}
		require.Equal(t, herd.BaselineRefused, byCode["drifted"].Status)
		require.Contains(t, byCode["drifted"].Reason, "its schema is not v1.0.0's")
		require.Contains(t, byCode["drifted"].Reason, "stray")
		require.Equal(t, herd.BaselineRefused, byCode["behind"].Status)
		require.Contains(t, byCode["behind"].Reason, "teachers")
		for _, code := range []string{"drifted", "behind"} {
			entries, err := b.fleet.Ledger(b.ctx, control.TenantRef(code))
			require.NoError(t, err)
			require.Empty(t, entries, code)
		}

		require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("exact"), "1.1.0"))
		b.agree(control.TenantRef("exact"), "1.1.0")
		out2 := cliAt(t, b.scratch.ConfigPath)(0, "baseline", "--tenant", "exact", "--from", "none", "--to", "1.0.0")
		require.Contains(t, out2, "exact   unchanged  v1.1.0   herd's ledger already records 5 migrations")
	})
}

// What each tool's ledger can say that herd refuses, and the mapping file
// for versions herd cannot match by itself.
func TestBaselineRefusesAndMaps(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, schoolMigrations(t))
		ms := b.source().Migrations(source.Tenant)
		tenants := []legacyTenant{
			{code: "flyway_failed", tool: herd.ToolFlyway, applied: 3, after: []string{
				"INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)" +
					" VALUES (4, '4', 'add custom field values', 'SQL', 'V4__add_custom_field_values.sql', 7, 'flyway', 3, FALSE)"}},
			{code: "goose_gap", tool: herd.ToolGoose, applied: 3, after: []string{
				fmt.Sprintf("DELETE FROM goose_db_version WHERE version_id = %d", gooseVersion(ms[1]))}},
			{code: "no_ledger", tool: herd.ToolNone, applied: 3},
			{code: "renumbered", tool: herd.ToolGolangMigrate, applied: 3, after: []string{"UPDATE schema_migrations SET version = 30"}},
			{code: "at_one", tool: herd.ToolGoose, applied: 3},
		}
		buildLegacy(t, b, tenants)
		b.register(tenants)
		write := func(name, body string) string {
			path := filepath.Join(b.scratch.Dir, name)
			require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
			return path
		}
		goose := write("goose.yaml", gooseMapping(ms))
		renumbered := write("migrate.csv", "version,migration\n30,v1.0.0/003_create_teachers\n")

		for _, tc := range []struct {
			tenant  string
			tool    herd.Tool
			mapping string
			to      string
			status  herd.BaselineStatus
			reason  string
		}{
			{"flyway_failed", herd.ToolFlyway, "", "", herd.BaselineRefused, "flyway records V4__add_custom_field_values.sql (version 4) as failed"},
			{"goose_gap", herd.ToolGoose, goose, "", herd.BaselineRefused, "goose records v1.0.0/003_create_teachers but not v1.0.0/002_create_classes"},
			{"no_ledger", herd.ToolGoose, goose, "", herd.BaselineRefused, "it has no goose table goose_db_version"},
			{"renumbered", herd.ToolGolangMigrate, "", "", herd.BaselineRefused, "no tenant migration has sequence number 30"},
			{"at_one", herd.ToolGoose, goose, "1.1.0", herd.BaselineRefused, "goose brings it to v1.0.0, not v1.1.0 (--to)"},
			{"renumbered", herd.ToolGolangMigrate, renumbered, "", herd.BaselineRecorded, ""},
			{"at_one", herd.ToolGoose, goose, "1.0.0", herd.BaselineRecorded, ""},
		} {
			out, err := b.fleet.Baseline(b.ctx, herd.BaselineRequest{Selection: herd.Selection{Tenants: tc.tenant}, From: tc.tool, Mapping: tc.mapping, To: tc.to})
			require.Len(t, out, 1)
			require.Equal(t, tc.status, out[0].Status, "%s: %s", tc.tenant, out[0].Reason)
			if tc.status == herd.BaselineRecorded {
				require.NoError(t, err)
				b.agree(control.TenantRef(tc.tenant), "1.0.0")
				continue
			}
			require.Contains(t, out[0].Reason, tc.reason)
			require.True(t, herd.IsInputError(err), "a refusal that changed nothing is bad input: %v", err)
			require.ErrorContains(t, err, fmt.Sprintf("baseline tenant %q: ", tc.tenant))
			require.ErrorContains(t, err, tc.reason)
		}

		run := cliAt(t, b.scratch.ConfigPath)
		out := run(2, "baseline", "--tenant", "flyway_failed", "--from", "flyway", "--json")
		var outcomes []herd.BaselineOutcome
		// The JSON, then the error on stderr, which runCLI shares.
		require.NoError(t, json.NewDecoder(strings.NewReader(out)).Decode(&outcomes), out)
		require.Equal(t, herd.BaselineRefused, outcomes[0].Status)
		require.Contains(t, run(2, "baseline", "--all", "--from", "liquibase"), `unknown tool "liquibase"`)
		bad := write("bad.csv", "version,migration\n1,v1.0.0/001_create_students\n1,v1.0.0/002_create_classes\n2,v9.9.9/001_nothing\n")
		out = run(2, "baseline", "--all", "--from", "goose", "--mapping", bad)
		require.Contains(t, out, "bad.csv:3: 1 is also mapped on line 2")
		require.Contains(t, out, "bad.csv:4: herd has no tenant migration v9.9.9/001_nothing")
	})
}

// A baseline whose control-database write was lost (the tenant's ledger
// committed, the control database never heard of it) is recorded there
// by the next baseline, from the ledger.
func TestBaselineReconcilesALostControlWrite(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, schoolMigrations(t))
		tenants := []legacyTenant{{code: "lost", tool: herd.ToolGolangMigrate, applied: 5}}
		buildLegacy(t, b, tenants)
		b.register(tenants)
		db, d, err := b.fleet.OpenTenant(b.ctx, "lost")
		require.NoError(t, err)
		s, err := execute.New(d, nil).Lock(b.ctx, db)
		require.NoError(t, err)
		_, err = s.MarkApplied(b.ctx, b.source().Migrations(source.Tenant)[:5], "baseline from golang-migrate")
		require.NoError(t, err)
		require.NoError(t, s.Close(b.ctx))
		require.NoError(t, db.Close())
		history, err := b.control().History(b.ctx, control.TenantRef("lost"))
		require.NoError(t, err)
		require.Empty(t, history)

		out, err := b.fleet.Baseline(b.ctx, herd.BaselineRequest{Selection: herd.Selection{Tenants: "lost"}, From: herd.ToolGolangMigrate})
		require.NoError(t, err)
		require.Equal(t, herd.BaselineUnchanged, out[0].Status)
		b.agree(control.TenantRef("lost"), "1.1.0")
	})
}

// A Flyway tenant whose ledger records a checksum of a script that is not
// that of herd's file is refused, naming the tenant, the version, the
// script and both checksums, and recorded with --ignore-checksums. A
// baseline row (flyway baseline's, which has no checksum, or a baseline
// migration's, whose script is not one of herd's files) stands for every
// migration up to its version and is not compared.
func TestBaselineFlywayChecksums(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, schoolMigrations(t))
		classes, ok := b.source().Migrations(source.Tenant)[1].Up(e.Name)
		require.True(t, ok)
		herds := flyway.Checksum(classes.SQL)
		ran := flyway.Checksum(classes.SQL + "\n-- the text Flyway ran, edited since\n")
		require.NotEqual(t, herds, ran)
		// baselineRow replaces the rows of versions 1 and 2 with a baseline
		// row at 2.
		baselineRow := func(kind, script, checksum string) []string {
			return []string{"DELETE FROM flyway_schema_history WHERE version IN ('1', '2')",
				"INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)" +
					fmt.Sprintf(" VALUES (2, '2', 'baseline', '%s', '%s', %s, 'flyway', 0, TRUE)", kind, script, checksum)}
		}
		tenants := []legacyTenant{
			{code: "edited", tool: herd.ToolFlyway, applied: 3, after: []string{
				fmt.Sprintf("UPDATE flyway_schema_history SET checksum = %d WHERE version = '2'", ran)}},
			{code: "baselined", tool: herd.ToolFlyway, applied: 3, after: baselineRow("BASELINE", "<< Flyway Baseline >>", "NULL")},
			{code: "baseline_script", tool: herd.ToolFlyway, applied: 3, after: baselineRow("SQL_BASELINE", "B2__baseline.sql", fmt.Sprint(ran))},
		}
		buildLegacy(t, b, tenants)
		b.register(tenants)

		reason := fmt.Sprintf("flyway's checksum of V2__create_classes.sql (version 2) is %d, herd's file %s has %d", ran, classes.File, herds)
		out, err := b.fleet.Baseline(b.ctx, herd.BaselineRequest{Selection: herd.Selection{Tenants: "edited,baselined,baseline_script"}, From: herd.ToolFlyway})
		require.ErrorContains(t, err, `baseline tenant "edited": `+reason)
		var failed *herd.TenantsError
		require.ErrorAs(t, err, &failed)
		require.Equal(t, 1, failed.Failed)
		byCode := map[string]herd.BaselineOutcome{}
		for _, o := range out {
			byCode[o.Tenant] = o
		}
		require.Equal(t, herd.BaselineRefused, byCode["edited"].Status)
		require.Contains(t, byCode["edited"].Reason, "--ignore-checksums")
		entries, err := b.fleet.Ledger(b.ctx, control.TenantRef("edited"))
		require.NoError(t, err)
		require.Empty(t, entries, "a refused tenant gets no ledger rows")
		for _, code := range []string{"baselined", "baseline_script"} {
			require.Equal(t, herd.BaselineRecorded, byCode[code].Status, byCode[code].Reason)
			require.Len(t, byCode[code].Migrations, 3, code)
			b.agree(control.TenantRef(code), "1.0.0")
		}

		run := cliAt(t, b.scratch.ConfigPath)
		require.Contains(t, run(2, "baseline", "--tenant", "edited", "--from", "flyway"), reason)
		require.Contains(t, run(0, "baseline", "--tenant", "edited", "--from", "flyway", "--ignore-checksums"), "edited  recorded  v1.0.0   3 migrations recorded, none run")
		b.agree(control.TenantRef("edited"), "1.0.0")
	})
}
