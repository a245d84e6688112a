package herd_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/internal/herdtest"
)

// snapshot is everything herd knows of a fleet, to prove a command changed
// nothing: the registry, every version row, every history and every ledger,
// and the tenant database files or schemas that exist.
func (b *bundle) snapshot() string {
	b.t.Helper()
	b.reopen()
	tenants, err := b.fleet.Tenants(b.ctx)
	require.NoError(b.t, err)
	versions, err := b.control().Versions(b.ctx)
	require.NoError(b.t, err)
	state := map[string]any{"tenants": tenants, "versions": versions}
	refs := []control.Ref{control.SystemRef}
	for _, tn := range tenants {
		refs = append(refs, control.TenantRef(tn.Code))
	}
	for _, ref := range refs {
		history, err := b.control().History(b.ctx, ref)
		require.NoError(b.t, err)
		ledger, err := b.fleet.Ledger(b.ctx, ref)
		require.NoError(b.t, err)
		state["history "+ref.String()] = history
		state["ledger "+ref.String()] = ledger
	}
	if b.engine.Name == "sqlite" {
		files, _ := filepath.Glob(filepath.Join(b.scratch.Dir, "data", "tenants", "*.db"))
		state["files"] = files
	}
	out, err := json.Marshal(state)
	require.NoError(b.t, err)
	return string(out)
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t, herdtest.Engines()[0], schoolMigrations(t))
	b.addTenant("alpha")
	require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("alpha"), "1.0.0"))
	cfg := []string{"--config", b.scratch.ConfigPath}
	migrations := filepath.Join(b.scratch.Dir, "migrations")

	tests := []struct {
		name  string
		files map[string]string // added under migrations/ for the case
		yaml  string            // replaces herd.yaml for the case
		args  []string
		code  int
		want  []string
	}{
		{name: "version folder not semver", files: map[string]string{"tenant/v2.x/018_a.up.sql": "SELECT 1;"},
			args: []string{"migrate", "--all"}, code: 2, want: []string{`tenant/v2.x: version folder "v2.x" is not a semantic version`}},
		{name: "duplicate sequence number", files: map[string]string{"tenant/v2.0.0/007_again.up.sql": "SELECT 1;"},
			args: []string{"migrate", "--all"}, code: 2, want: []string{"duplicate sequence number 007"}},
		{name: "down without up", files: map[string]string{"tenant/v2.0.0/018_orphan.down.sql": "SELECT 1;"},
			args: []string{"migrate", "--tenant", "alpha"}, code: 2, want: []string{"018_orphan.down.sql has no up file"}},
		{name: "validate without up", files: map[string]string{"tenant/v2.0.0/018_orphan.validate.sql": "SELECT 1;"},
			args: []string{"lint"}, code: 2, want: []string{"018_orphan.validate.sql has no up file"}},
		{name: "unknown dialect suffix", files: map[string]string{"tenant/v2.0.0/018_x.oracle.up.sql": "SELECT 1;"},
			args: []string{"migrate", "--tenant", "alpha"}, code: 2, want: []string{`018_x.oracle.up.sql: unknown engine suffix "oracle"`}},
		{name: "unknown metadata key", files: map[string]string{"tenant/v2.0.0/018_x.up.sql": "-- adds x\n-- herd:colour blue\nSELECT 1;"},
			args: []string{"migrate", "--tenant", "alpha"}, code: 2, want: []string{"tenant/v2.0.0/018_x.up.sql:2: unknown metadata key herd:colour"}},
		{name: "dependency cycle", files: map[string]string{
			"tenant/v2.0.0/018_a.up.sql": "-- herd:depends v2.0.0/019_b\nSELECT 1;",
			"tenant/v2.0.0/019_b.up.sql": "-- herd:depends v2.0.0/018_a\nSELECT 1;"},
			args: []string{"migrate", "--tenant", "alpha"}, code: 2, want: []string{"dependency cycle: v2.0.0/018_a -> v2.0.0/019_b -> v2.0.0/018_a"}},
		{name: "dependency on a later migration", files: map[string]string{
			"tenant/v2.0.0/018_a.up.sql": "-- herd:depends v2.0.0/019_b\nSELECT 1;",
			"tenant/v2.0.0/019_b.up.sql": "SELECT 1;"},
			args: []string{"migrate", "--tenant", "alpha"}, code: 2, want: []string{"v2.0.0/018_a depends on a later migration, v2.0.0/019_b"}},
		{name: "empty migration", files: map[string]string{"tenant/v2.0.0/018_empty.up.sql": "-- to do\n"},
			args: []string{"migrate", "--tenant", "alpha"}, code: 2, want: []string{"018_empty.up.sql: empty migration"}},
		{name: "every source problem at once", files: map[string]string{
			"tenant/v2.x/018_a.up.sql": "SELECT 1;", "tenant/v2.0.0/018_x.oracle.up.sql": "SELECT 1;"},
			args: []string{"lint"}, code: 2, want: []string{"2 problems", "v2.x", "oracle"}},
		{name: "target version that does not exist", args: []string{"migrate", "--tenant", "alpha", "--to", "v9.9.9"},
			code: 2, want: []string{"tenant version v9.9.9 does not exist (known: v1.0.0, v1.1.0, v2.0.0)"}},
		{name: "target version not semver", args: []string{"plan", "--tenant", "alpha", "--to", "latest"},
			code: 2, want: []string{`"latest" is not a semantic version`}},
		{name: "tenant code with a quote", args: []string{"tenant", "add", "o'brien"}, code: 2, want: []string{`tenant code "o'brien"`}},
		{name: "tenant code with a space", args: []string{"tenant", "add", "st marys"}, code: 2, want: []string{`tenant code "st marys"`}},
		{name: "tenant code in upper case", args: []string{"tenant", "add", "StMarys"}, code: 2, want: []string{`tenant code "StMarys"`}},
		{name: "tenant code over 48 characters", args: []string{"tenant", "add", strings.Repeat("a", 49)}, code: 2,
			want: []string{"is 49 characters; the limit is 48"}},
		{name: "tenant added twice", args: []string{"tenant", "add", "alpha"}, code: 2, want: []string{`tenant "alpha": tenant already exists`}},
		{name: "unknown server", args: []string{"tenant", "add", "beta", "--server", "nowhere"}, code: 2, want: []string{"nowhere"}},
		{name: "migrate an unknown tenant", args: []string{"migrate", "--tenant", "ghost"}, code: 2, want: []string{`tenant "ghost": tenant not found`}},
		{name: "show an unknown tenant", args: []string{"tenant", "show", "ghost"}, code: 2, want: []string{"not found"}},
		{name: "herd.yaml syntax error", yaml: "control: sqlite:./x.db\nservers:\n  main: [unclosed\ntenant_database: t_{code}\n",
			args: []string{"status"}, code: 2, want: []string{"herd.yaml:3:"}},
		{name: "herd.yaml unknown key", yaml: b.scratch.Config("colour: blue\n"), args: []string{"status"}, code: 2,
			want: []string{"herd.yaml:6:", "colour"}},
		{name: "no selector", args: []string{"migrate"}, code: 2, want: []string{"say which database"}},
		{name: "two selectors", args: []string{"migrate", "--all", "--tenant", "alpha"}, code: 2, want: []string{"say which database"}},
		{name: "unknown flag", args: []string{"migrate", "--colour"}, code: 2, want: []string{"unknown flag"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := b.snapshot()
			for name, body := range tt.files {
				path := filepath.Join(migrations, filepath.FromSlash(name))
				require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
				require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
			}
			if tt.yaml != "" {
				b.scratch.WriteConfig(t, tt.yaml)
			}
			code, out := runCLI(t, append(cfg, tt.args...)...)

			for name := range tt.files {
				require.NoError(t, os.Remove(filepath.Join(migrations, filepath.FromSlash(name))))
			}
			os.Remove(filepath.Join(migrations, "tenant", "v2.x"))
			b.scratch.WriteConfig(t, b.scratch.Config(""))
			require.Equal(t, tt.code, code, out)
			for _, w := range tt.want {
				require.Contains(t, out, w)
			}
			require.Equal(t, before, b.snapshot(), "the command changed the fleet")
		})
	}
}

// A password in a DSN never reaches the output, whether the server cannot
// be reached or the DSN does not parse.
func TestPasswordsNeverPrinted(t *testing.T) {
	t.Parallel()
	const sentinel = "s3cr3t-sentinel"
	for _, e := range herdtest.Engines() {
		if e.Name == "sqlite" || e.SchemaPerTenant() {
			continue
		}
		t.Run(e.Label, func(t *testing.T) {
			t.Parallel()
			f := e.NewFleet(t, schoolMigrations(t))
			unreachable := map[string]string{
				"postgres": "postgres://herd:" + sentinel + "@127.0.0.1:1/herd",
				"mysql":    "mysql://herd:" + sentinel + "@127.0.0.1:1/herd",
			}[e.Name]
			malformed := map[string]string{
				"postgres": "postgres://herd:" + sentinel + "@127.0.0.1:5432/herd?sslmode=%zz",
				"mysql":    "mysql://herd:" + sentinel + "@127.0.0.1:notaport/herd",
			}[e.Name]
			for _, tc := range []struct {
				name, control string
				code          int
			}{
				{"unreachable control database", unreachable, 1},
				{"malformed control DSN", malformed, 2},
			} {
				f.WriteConfig(t, strings.Replace(f.Config(""), f.ControlDSN, tc.control, 1))
				for _, args := range [][]string{{"status"}, {"migrate", "--all"}, {"tenant", "add", "alpha"}, {"status", "--json"}} {
					code, out := runCLI(t, append([]string{"--config", f.ConfigPath}, args...)...)
					require.Equal(t, tc.code, code, "%s %v: %s", tc.name, args, out)
					require.NotContains(t, out, sentinel, "%s %v", tc.name, args)
					require.NotEmpty(t, out)
				}
			}
		})
	}
}

// A tenant code that renders a database name over the engine's limit is
// refused before anything is created: PostgreSQL would truncate it
// silently, and two tenants could share one database.
func TestDatabaseNameTooLong(t *testing.T) {
	t.Parallel()
	for _, e := range herdtest.Engines() {
		if e.Name == "sqlite" {
			continue
		}
		t.Run(e.Label, func(t *testing.T) {
			t.Parallel()
			b := setup(t, e, schoolMigrations(t))
			b.scratch.WriteConfig(t, strings.Replace(b.scratch.Config(""), "_{code}", "_school_erp_trust_{code}", 1))
			code := strings.Repeat("x", 48) // the brief's template with a 48-character code: 65 characters and more
			before := b.snapshot()
			status, out := runCLI(t, "--config", b.scratch.ConfigPath, "tenant", "add", code)
			require.Equal(t, 2, status, out)
			require.Contains(t, out, "characters; "+e.Name+` on server "main" allows`)
			require.Equal(t, before, b.snapshot())
		})
	}
}
