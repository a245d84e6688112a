package herd_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

type statusRow struct {
	Type           string `json:"type"`
	Identifier     string `json:"identifier"`
	CurrentVersion string `json:"current_version"`
	TargetVersion  string `json:"target_version"`
	Status         string `json:"status"`
	LastError      string `json:"last_error"`
}

func statusJSON(t *testing.T, config string) []statusRow {
	t.Helper()
	code, out := runCLI(t, "--config", config, "status", "--json")
	require.Equal(t, 0, code, out)
	var rows []statusRow
	require.NoError(t, json.Unmarshal([]byte(out), &rows), out)
	return rows
}

func TestDemo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, out := runCLI(t, "demo", "--dir", dir, "--tenants", "3")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "migrated the fleet to v2.0.0")
	require.Contains(t, out, "analysed 3 trusts: 3 small, 0 large")
	require.Contains(t, out, "compared 3 tenants: 1 drifted, 1 customised, 1 as their reference")
	require.Contains(t, out, "drift          extra index students.support_students_phone")

	rows := statusJSON(t, filepath.Join(dir, "herd.yaml"))
	require.Len(t, rows, 4)
	require.Equal(t, statusRow{Type: "system", Identifier: "@system", CurrentVersion: "2.0.0", TargetVersion: "2.0.0", Status: "completed"}, rows[0])
	for i, r := range rows[1:] {
		require.Equal(t, statusRow{Type: "tenant", Identifier: []string{"trust_001", "trust_002", "trust_003"}[i],
			CurrentVersion: "2.0.0", TargetVersion: "2.0.0", Status: "completed"}, r)
	}

	// The demo project lints clean, without warnings.
	code, out = runCLI(t, "--config", filepath.Join(dir, "herd.yaml"), "lint")
	require.Equal(t, 0, code, out)
	require.Equal(t, "ok: 7 system and 8 tenant migrations\n", out)

	// enabled_for is a filter: trust_003 (standard) is a beta tenant of
	// enhanced_fee_system but outside its tiers, so the flag is off for it;
	// trust_001 (premium) is on as a beta tenant.
	for code, want := range map[string]struct {
		enabled bool
		reason  string
	}{"trust_001": {true, "BETA"}, "trust_003": {false, "TIER"}} {
		exit, out := runCLI(t, "--config", filepath.Join(dir, "herd.yaml"), "flags", "eval", "enhanced_fee_system", "--tenant", code, "--json")
		require.Equal(t, 0, exit, out)
		var got struct {
			Enabled bool   `json:"enabled"`
			Reason  string `json:"reason"`
		}
		require.NoError(t, json.Unmarshal([]byte(out), &got), out)
		require.Equal(t, want.enabled, got.Enabled, code)
		require.Equal(t, want.reason, got.Reason, code)
	}

	code, out = runCLI(t, "demo", "--dir", dir)
	require.Equal(t, 2, code, out)
	require.Contains(t, out, "is not empty")
}

// The path a new user takes: init, scaffold a migration, add a tenant,
// migrate, look.
func TestInitToFirstMigration(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	config := filepath.Join(dir, "herd.yaml")
	run := cliAt(t, config)
	run(0, "init", "--dir", dir)
	run(2, "init", "--dir", dir)
	out := run(0, "new", "tenant", "v1.0.0", "create_pupils")
	require.Contains(t, out, "001_create_pupils.up.sql")
	stem := filepath.Join(dir, "migrations", "tenant", "v1.0.0", "001_create_pupils")
	require.NoError(t, os.WriteFile(stem+".up.sql", []byte("CREATE TABLE pupils (id INTEGER PRIMARY KEY, name TEXT);\n"), 0o644))
	require.NoError(t, os.WriteFile(stem+".down.sql", []byte("DROP TABLE pupils;\n"), 0o644))
	run(0, "new", "tenant", "1.1.0", "add_pupil_email")
	require.FileExists(t, filepath.Join(dir, "migrations", "tenant", "v1.1.0", "002_add_pupil_email.up.sql"))
	run(2, "lint") // the scaffold is empty until written
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "migrations", "tenant", "v1.1.0")))
	require.Contains(t, run(0, "lint"), "ok: 0 system and 1 tenant migrations")

	run(0, "tenant", "add", "st_marys", "--tier", "premium", "--name", "St Mary's Trust")
	require.Contains(t, run(0, "plan", "--tenant", "st_marys"), "up   v1.0.0/001_create_pupils")
	run(0, "migrate", "--tenant", "st_marys")
	rows := statusJSON(t, config)
	require.Equal(t, "1.0.0", rows[1].CurrentVersion)

	var shown struct {
		Code    string `json:"code"`
		Tier    string `json:"tier"`
		History []struct {
			Migration string `json:"migration"`
			Status    string `json:"status"`
		} `json:"history"`
	}
	require.NoError(t, json.Unmarshal([]byte(run(0, "tenant", "show", "st_marys", "--json")), &shown))
	require.Equal(t, "premium", shown.Tier)
	require.Len(t, shown.History, 1)
	require.Equal(t, "success", shown.History[0].Status)

	require.Contains(t, run(0, "tenant", "list"), "st_marys")
	run(0, "tenant", "remove", "st_marys", "--drop-database")
	require.Contains(t, run(0, "tenant", "list", "--json"), "[]")
}

// bench --exec runs each side's process through the given command, as go
// test -exec does: through env the bench completes, and through false,
// which runs nothing, it fails. With --in-process there is no side
// process to wrap, and the pair is refused before anything is created.
func TestBenchExec(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		wrapper string
		ok      bool
	}{
		{"env", true},
		{"false", false},
	} {
		t.Run(tt.wrapper, func(t *testing.T) {
			t.Parallel()
			cmd, out := herdProcess(t, "bench", "--engine", "sqlite", "--tenants", "2", "--runs", "1", "--dir", t.TempDir(), "--exec", tt.wrapper)
			err := cmd.Run()
			if tt.ok {
				require.NoError(t, err, out.String())
				require.Contains(t, out.String(), "ratio herd/floor")
			} else {
				require.Error(t, err, out.String())
				require.Contains(t, out.String(), "side process")
			}
		})
	}
	t.Run("in-process", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		code, out := runCLI(t, "bench", "--engine", "sqlite", "--tenants", "2", "--runs", "1", "--dir", dir, "--exec", "env", "--in-process")
		require.NotEqual(t, 0, code, out)
		require.Contains(t, out, "exec")
		require.Contains(t, out, "in-process")
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.Empty(t, entries, "nothing was created")
	})
}

// bench --shadow prints both strategies, the shadow phases, the ratios
// and the goals; a flag of the fleet mode is refused with exit 2 before
// anything is created, and --backfill with it.
func TestBenchShadow(t *testing.T) {
	t.Parallel()
	t.Run("runs", func(t *testing.T) {
		t.Parallel()
		cmd, out := herdProcess(t, "bench", "--shadow", "--engine", "sqlite", "--rows", "2000", "--chunk-size", "500", "--runs", "1",
			"--dir", t.TempDir())
		require.NoError(t, cmd.Run(), out.String())
		for _, want := range []string{"herd bench --shadow: sqlite, 2000 rows, 1 runs", "\nin place ", "\nshadow ", "write freeze",
			"time shadow/in-place", "read max shadow/in-place", "reads never stall over 100ms under shadow", "total time <= 3x in place"} {
			require.Contains(t, out.String(), want)
		}
	})
	for _, args := range [][]string{{"--shadow", "--tenants", "2"}, {"--shadow", "--concurrency", "2"}, {"--shadow", "--backfill"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			code, out := runCLI(t, append([]string{"bench", "--engine", "sqlite", "--runs", "1", "--dir", dir}, args...)...)
			require.Equal(t, 2, code, out)
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			require.Empty(t, entries, "nothing was created")
		})
	}
}

// bench --backfill prints the three sides and both ratios; a flag of the
// other mode is refused with exit 2 before anything is created.
func TestBenchBackfill(t *testing.T) {
	t.Parallel()
	t.Run("runs", func(t *testing.T) {
		t.Parallel()
		cmd, out := herdProcess(t, "bench", "--backfill", "--engine", "sqlite", "--rows", "3000", "--chunk-size", "500", "--runs", "1",
			"--dir", t.TempDir())
		require.NoError(t, cmd.Run(), out.String())
		for _, want := range []string{"herd: -- herd:chunked table=students key=id size=500 target=250ms", "\nfloor ", "\nherd ", "\noffset ",
			"throughput herd/floor", "time offset/herd"} {
			require.Contains(t, out.String(), want)
		}
	})
	for _, args := range [][]string{{"--rows", "10"}, {"--backfill", "--tenants", "2"}, {"--backfill", "--operation", "rollout"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			code, out := runCLI(t, append([]string{"bench", "--engine", "sqlite", "--runs", "1", "--dir", dir}, args...)...)
			require.Equal(t, 2, code, out)
			require.Contains(t, out, "does not apply")
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			require.Empty(t, entries, "nothing was created")
		})
	}
}
