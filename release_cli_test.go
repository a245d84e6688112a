package herd_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/internal/herdtest"
)

// releaseSource has tenant schemas v1.0.0, v1.1.0 (which drops a column)
// and v2.0.0.
func releaseSource() fstest.MapFS {
	f := func(body string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(body)} }
	return fstest.MapFS{
		"system/v1.0.0/001_trusts.up.sql":   f("CREATE TABLE trusts (id INTEGER PRIMARY KEY);"),
		"system/v1.0.0/001_trusts.down.sql": f("DROP TABLE trusts;"),
		"tenant/v1.0.0/001_pupils.up.sql":   f("CREATE TABLE pupils (id INTEGER PRIMARY KEY, nickname TEXT);"),
		"tenant/v1.0.0/001_pupils.down.sql": f("DROP TABLE pupils;"),
		"tenant/v1.1.0/002_no_nickname.up.sql": f("-- Nicknames are no longer kept.\n" +
			"INSERT INTO pupils (id, nickname) SELECT 0, 'drop table pupils' WHERE 0;\n" +
			"ALTER TABLE pupils DROP COLUMN nickname;"),
		"tenant/v1.1.0/002_no_nickname.down.sql": f("ALTER TABLE pupils ADD COLUMN nickname TEXT;"),
		"tenant/v2.0.0/003_fees.up.sql":          f("CREATE TABLE fees (id INTEGER PRIMARY KEY);"),
		"tenant/v2.0.0/003_fees.down.sql":        f("DROP TABLE fees;"),
	}
}

// herd lint reports the release rules' problems with the source's, each
// as FILE:LINE, and exits 2 until they are fixed.
func TestLintReleases(t *testing.T) {
	t.Parallel()
	fleet := herdtest.Engines()[0].NewFleet(t, releaseSource())
	lint := func(want int) string {
		t.Helper()
		code, out := runCLI(t, "--config", fleet.ConfigPath, "lint")
		require.Equal(t, want, code, out)
		return out
	}
	upFile := filepath.Join(fleet.Dir, "migrations", "tenant", "v1.1.0", "002_no_nickname.up.sql")

	body := fleet.Config(`releases:
  v1.0.0: {features: [basic]}
  v1.1.0: {features: [fees]}
  v2.0.0: {breaking_changes: true}
`)
	fleet.WriteConfig(t, body)
	v2 := fmt.Sprintf("%s:%d: releases.v2.0.0: breaking_changes without a rollback_point", fleet.ConfigPath,
		1+strings.Count(body[:strings.Index(body, "  v2.0.0:")], "\n"))
	out := lint(2)
	require.Contains(t, out, "2 problems:\n")
	require.Contains(t, out, v2)
	require.Contains(t, out, upFile+":3: DROP COLUMN in tenant migration v1.1.0/002_no_nickname, but its release v1.1.0 is not marked breaking_changes\n")
	require.NotContains(t, out, ":2: DROP TABLE", "a string literal is not a statement")

	// A source that does not load: its problems and the releases' at once.
	bad := filepath.Join(fleet.Dir, "migrations", "tenant", "v2.0.0", "004_Bad.up.sql")
	require.NoError(t, os.WriteFile(bad, []byte("SELECT 1;"), 0o644))
	out = lint(2)
	require.Contains(t, out, v2)
	require.Contains(t, out, "004_Bad.up.sql: file name must look like")
	require.NoError(t, os.Remove(bad))

	// Marking v1.1.0 breaking, with rollback points, clears both.
	fleet.WriteConfig(t, fleet.Config(`releases:
  v1.0.0: {features: [basic]}
  v1.1.0: {features: [fees], breaking_changes: true, rollback_point: v1.0.0}
  v2.0.0: {breaking_changes: true, rollback_point: v1.1.0}
`))
	require.Contains(t, lint(0), "ok: 1 system and 3 tenant migrations")
}

type releaseJSON struct {
	Name            string   `json:"name"`
	Version         string   `json:"version"`
	SystemVersion   string   `json:"system_version"`
	TenantVersion   string   `json:"tenant_version"`
	Features        []string `json:"features"`
	Added           []string `json:"added"`
	Removed         []string `json:"removed"`
	BreakingChanges bool     `json:"breaking_changes"`
	RollbackPoint   string   `json:"rollback_point"`
	Experimental    bool     `json:"experimental"`
	Declared        bool     `json:"declared"`
	Tenants         int      `json:"tenants"`
}

// herd releases counts the tenants on each release by their schema
// version, with undeclared version folders as releases of their own.
func TestReleasesCommand(t *testing.T) {
	t.Parallel()
	fleet := herdtest.Engines()[0].NewFleet(t, releaseSource())
	fleet.WriteConfig(t, fleet.Config(`releases:
  v1.0.0: {features: [basic, legacy]}
  v2.0.0:
    features: [fees]
    removes: [legacy]
    breaking_changes: true
    rollback_point: v1.0.0
`))
	run := cliAt(t, fleet.ConfigPath)
	for _, code := range []string{"a1", "b1", "b2", "c1", "never"} {
		run(0, "tenant", "add", code)
	}
	run(0, "migrate", "--system")
	run(0, "migrate", "--tenant", "a1", "--to", "v1.0.0")
	run(0, "migrate", "--tenant", "b1", "--to", "v1.1.0")
	run(0, "migrate", "--tenant", "b2", "--to", "1.1.0")
	run(0, "migrate", "--tenant", "c1")

	// The only system schema is v1.0.0: v1.1.0 (undeclared) and v2.0.0
	// (without system:) go with it.
	var rows []releaseJSON
	out := run(0, "releases", "--json")
	require.NoError(t, json.Unmarshal([]byte(out), &rows), out)
	require.Equal(t, []releaseJSON{
		{Name: "v1.0.0", Version: "1.0.0", SystemVersion: "1.0.0", TenantVersion: "1.0.0", Features: []string{"basic", "legacy"},
			Added: []string{"basic", "legacy"}, Removed: []string{}, Declared: true, Tenants: 1},
		{Name: "v1.1.0", Version: "1.1.0", SystemVersion: "1.0.0", TenantVersion: "1.1.0", Features: []string{"basic", "legacy"},
			Added: []string{}, Removed: []string{}, Tenants: 2},
		{Name: "v2.0.0", Version: "2.0.0", SystemVersion: "1.0.0", TenantVersion: "2.0.0", Features: []string{"basic", "fees"},
			Added: []string{"fees"}, Removed: []string{"legacy"}, BreakingChanges: true, RollbackPoint: "v1.0.0", Declared: true, Tenants: 1},
	}, rows)

	out = run(0, "releases")
	require.Regexp(t, `(?m)^RELEASE +SYSTEM +TENANT +FEATURES +BREAKING +ROLLBACK POINT +EXPERIMENTAL +TENANTS$`, out)
	require.Regexp(t, `(?m)^v1\.1\.0 \(undeclared\) +v1\.0\.0 +v1\.1\.0 +basic, legacy +no +- +no +2$`, out)
	require.Regexp(t, `(?m)^v2\.0\.0 +v1\.0\.0 +v2\.0\.0 +basic, fees +yes +v1\.0\.0 +no +1$`, out)
	require.Contains(t, out, "tenants on no release (never migrated, or below v1.0.0): 1\n")
}

// lineOf is the 1-based line of the first line of body that starts with
// prefix.
func lineOf(t *testing.T, body, prefix string) int {
	t.Helper()
	for i, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, prefix) {
			return i + 1
		}
	}
	t.Fatalf("no line starts with %q", prefix)
	return 0
}

// herd lint prints warnings as FILE:LINE: warning: … and exits 0; an
// error, such as a down file that a rollback point needs, exits 2 with its
// FILE:LINE.
func TestLintFindings(t *testing.T) {
	t.Parallel()
	fleet := herdtest.Engines()[0].NewFleet(t, releaseSource())
	body := fleet.Config(`releases:
  v1.0.0: {features: [basic]}
  v1.1.0: {features: [fees], breaking_changes: true, rollback_point: v1.0.0}
  v2.0.0: {features: [more], breaking_changes: true, rollback_point: v1.1.0}
flags:
  later: {required_version: 3.0.0}
`)
	fleet.WriteConfig(t, body)
	code, out := runCLI(t, "--config", fleet.ConfigPath, "lint")
	require.Equal(t, 0, code, out)
	require.Equal(t, fmt.Sprintf(
		"%[1]s:%[2]d: warning: releases.v1.1.0: system: omitted, and there is no system schema v1.1.0: the release goes with v1.0.0, the highest at or below it; write system: 1.0.0 to say so\n"+
			"%[1]s:%[3]d: warning: releases.v2.0.0: system: omitted, and there is no system schema v2.0.0: the release goes with v1.0.0, the highest at or below it; write system: 1.0.0 to say so\n"+
			"%[1]s:%[4]d: warning: flags.later: required_version 3.0.0 is above every release's tenant schema (the highest is v2.0.0, of release v2.0.0): the flag is off for every tenant\n"+
			"ok: 1 system and 3 tenant migrations, 3 warnings\n",
		fleet.ConfigPath, lineOf(t, body, "  v1.1.0:"), lineOf(t, body, "  v2.0.0:"), lineOf(t, body, "  later:")), out)

	// Going back from v2.0.0 to v1.1.0 needs 003_fees's down.
	require.NoError(t, os.Remove(filepath.Join(fleet.Dir, "migrations", "tenant", "v2.0.0", "003_fees.down.sql")))
	code, out = runCLI(t, "--config", fleet.ConfigPath, "lint")
	require.Equal(t, 2, code, out)
	up := filepath.Join(fleet.Dir, "migrations", "tenant", "v2.0.0", "003_fees.up.sql")
	require.Contains(t, out, "1 problem:\n"+up+":1: tenant migration v2.0.0/003_fees has no down file: "+
		"release v2.0.0 names v1.1.0 as its rollback_point, and going back to it runs this migration's down; "+
		"add 003_fees.down.sql beside it\n")
	require.Contains(t, out, ":"+fmt.Sprint(lineOf(t, body, "  later:"))+": warning: flags.later", "warnings are printed with the errors")
}

// A release that omits system: goes with the highest system schema at or
// below it, and plan, migrate --to, migrate --all --to and rollout start
// --to all agree on it.
func TestOmittedSystemSchema(t *testing.T) {
	t.Parallel()
	fleet := herdtest.Engines()[0].NewFleet(t, releaseSource())
	fleet.WriteConfig(t, fleet.Config(`releases:
  v1.0.0: {features: [basic]}
  v1.1.0: {features: [fees], breaking_changes: true, rollback_point: v1.0.0}
`))
	run := cliAt(t, fleet.ConfigPath)
	run(0, "tenant", "add", "a1")
	run(0, "tenant", "add", "b1")

	var p struct{ To string }
	require.NoError(t, json.Unmarshal([]byte(run(0, "plan", "--system", "--to", "v1.1.0", "--json")), &p))
	require.Equal(t, "1.0.0", p.To, "plan --system --to a release without system:")
	run(0, "migrate", "--system", "--to", "v1.1.0")
	run(0, "migrate", "--all", "--to", "v1.1.0")
	run(0, "rollout", "start", "--to", "v2.0.0")
	require.Contains(t, run(2, "plan", "--system", "--to", "v7.0.0"), "v7.0.0 is neither a release nor a schema version")

	var rows []statusRowJSON
	require.NoError(t, json.Unmarshal([]byte(run(0, "status", "--json")), &rows))
	got := map[string]string{}
	for _, r := range rows {
		got[r.Type+":"+r.Identifier] = r.CurrentVersion
	}
	require.Equal(t, map[string]string{"system:@system": "1.0.0", "tenant:a1": "2.0.0", "tenant:b1": "2.0.0"}, got)
}

type statusRowJSON struct {
	Type           string `json:"type"`
	Identifier     string `json:"identifier"`
	CurrentVersion string `json:"current_version"`
}
