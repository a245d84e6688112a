package herd_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/internal/herdtest"
)

func TestReadTenantFile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, file, body string
		want             []herd.TenantRow
		problems         []string
	}{
		{name: "csv", file: "t.csv", body: "code,tier,tags,features\nalpha,gold,region=eu;vip,fees\n\nbeta,,,\n",
			want: []herd.TenantRow{
				{Line: 2, Spec: herd.TenantSpec{Code: "alpha", Tier: "gold", Tags: []string{"region=eu", "vip"}, Features: []string{"fees"}}},
				{Line: 4, Spec: herd.TenantSpec{Code: "beta"}},
			}},
		{name: "json lines by extension", file: "t.jsonl", body: `{"code": "alpha", "database": "legacy_alpha", "tags": ["a"]}` + "\n\n" + `{"code": "beta", "server": "eu"}`,
			want: []herd.TenantRow{
				{Line: 1, Spec: herd.TenantSpec{Code: "alpha", Database: "legacy_alpha", Tags: []string{"a"}}},
				{Line: 3, Spec: herd.TenantSpec{Code: "beta", Server: "eu"}},
			}},
		{name: "json lines sniffed", file: "tenants", body: `{"code": "alpha"}`,
			want: []herd.TenantRow{{Line: 1, Spec: herd.TenantSpec{Code: "alpha"}}}},
		{name: "csv sniffed", file: "tenants", body: "code\nalpha\n",
			want: []herd.TenantRow{{Line: 2, Spec: herd.TenantSpec{Code: "alpha"}}}},
		{name: "unknown column", file: "t.csv", body: "code,colour\nalpha,red\n",
			problems: []string{`t.csv:1: unknown column "colour"`}},
		{name: "no code column", file: "t.csv", body: "name\nAlpha\n",
			problems: []string{"t.csv:1: the header has no code column"}},
		{name: "short and unterminated rows", file: "t.csv", body: "code,name\nalpha\nbeta,\"Beta\n",
			problems: []string{"t.csv:2: 1 fields; the header has 2", "t.csv:3: "}},
		{name: "bad json lines", file: "t.jsonl", body: `{"code": "alpha", "colour": "red"}` + "\n" + `{"code": ` + "\n",
			problems: []string{`t.jsonl:1: json: unknown field "colour"`, "t.jsonl:2: "}},
		{name: "json line too long, after a blank one", file: "t.jsonl", body: `{"code": "alpha"}` + "\n\n" + `{"code": "` + strings.Repeat("b", 1<<20) + `"}`,
			problems: []string{"t.jsonl:3: bufio.Scanner: token too long"}},
		{name: "empty", file: "t.csv", body: "code\n", problems: []string{"t.csv: no tenants"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rows, err := herd.ReadTenantFile(tc.file, strings.NewReader(tc.body))
			if tc.problems == nil {
				require.NoError(t, err)
				require.Equal(t, tc.want, rows)
				return
			}
			require.True(t, herd.IsInputError(err), "%v", err)
			for _, p := range tc.problems {
				require.ErrorContains(t, err, p)
			}
		})
	}
}

// A file with bad rows is refused whole, each row named with its line,
// and registers nothing; a good one registers its tenants, creating the
// missing databases with --create; importing it again changes nothing,
// and a row that differs is reported, and changed with --update alone.
func TestImportTenants(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, schoolMigrations(t))
		run := cliAt(t, b.scratch.ConfigPath)
		b.addTenant("alpha")
		b.scratch.CreateDatabase(t, "beta")
		t.Cleanup(func() { b.scratch.DropTenants(t, []string{"beta"}) })
		write := func(name, body string) string {
			path := filepath.Join(b.scratch.Dir, name)
			require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
			return path
		}

		bad := write("bad.csv", strings.Join([]string{
			"code,name,tier,server,database,features",
			"beta,Beta,,,,",
			"Bad Code,,,,,",
			"gamma,,,nowhere,,",
			"delta,,Gold!,,,",
			"beta,,,,,",
			"epsilon,,,,,",
			"alpha,,,,legacy_alpha,",
			"zeta,,,,,fees",
			"",
		}, "\n"))
		out := run(2, "tenant", "import", bad)
		for _, want := range []string{
			`bad.csv:3: tenant code "Bad Code"`,
			`bad.csv:4: tenant "gamma": unknown server "nowhere"`,
			`bad.csv:5: tenant "delta": tier "Gold!"`,
			`bad.csv:6: tenant "beta" is also on line 2`,
			`bad.csv:7: tenant "epsilon": database ` + b.scratch.Prefix + `_epsilon does not exist on server "main"`,
			`bad.csv:8: tenant "alpha" is registered with database ` + b.scratch.Prefix + `_alpha on server "main", not legacy_alpha`,
			`bad.csv:9: tenant "zeta": feature "fees" is not declared`,
		} {
			require.Contains(t, out, want)
		}
		require.NotContains(t, out, "bad.csv:2:")
		tenants, err := b.fleet.Tenants(b.ctx)
		require.NoError(t, err)
		require.Len(t, tenants, 1, "a refused file registers nothing")

		good := write("good.jsonl", `{"code": "beta", "tier": "gold", "tags": ["region=eu"]}`+"\n"+`{"code": "gamma", "name": "Gamma"}`+"\n"+`{"code": "alpha"}`+"\n")
		out = run(2, "tenant", "import", good)
		require.Contains(t, out, `good.jsonl:2: tenant "gamma": database `+b.scratch.Prefix+`_gamma does not exist`)
		out = run(0, "tenant", "import", good, "--create", "--batch", "1")
		require.Contains(t, out, "registered 2 of 2")
		require.Contains(t, out, "gamma  added  created database "+b.scratch.Prefix+"_gamma on main")
		require.Contains(t, out, "beta   added  existing database "+b.scratch.Prefix+"_beta on main")
		require.Contains(t, out, "2 added, 0 updated, 1 unchanged, 0 differ")
		beta, err := b.fleet.Tenant(b.ctx, "beta")
		require.NoError(t, err)
		require.Equal(t, "gold", beta.Tier)
		require.Equal(t, []string{"region=eu"}, beta.Tags)
		require.True(t, b.tableExists("gamma", "herd_schema_migrations"), "a created database comes with its ledger")

		require.Contains(t, run(0, "tenant", "import", good), "0 added, 0 updated, 3 unchanged, 0 differ")

		changed := write("changed.jsonl", `{"code": "beta", "tier": "premium", "tags": ["region=eu"]}`+"\n")
		out = run(0, "tenant", "import", changed)
		require.Contains(t, out, "changed.jsonl:1  beta  differs  tier gold -> premium")
		require.Contains(t, out, "(left as registered; --update changes them)")
		beta, err = b.fleet.Tenant(b.ctx, "beta")
		require.NoError(t, err)
		require.Equal(t, "gold", beta.Tier, "a difference changes nothing without --update")

		var report herd.ImportReport
		require.NoError(t, json.Unmarshal([]byte(run(0, "tenant", "import", changed, "--update", "--json")), &report))
		require.Equal(t, []herd.ImportedTenant{{Line: 1, Code: "beta", Server: "main", Database: b.scratch.Prefix + "_beta",
			Action: herd.ImportUpdated, Differences: []string{"tier gold -> premium"}}}, report.Tenants)
		beta, err = b.fleet.Tenant(b.ctx, "beta")
		require.NoError(t, err)
		require.Equal(t, "premium", beta.Tier)
	})
}

// discover lists a server's databases that match the naming pattern and
// no tenant is registered on, leaving out herd's own, with the code each
// would get; --register registers those it can.
func TestDiscoverTenants(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, schoolMigrations(t))
		b.addTenant("known")
		// "_odd" is no tenant code; a1's shadow is herd's own.
		names := []string{"a1", "b2", "_odd", "a1_herd_shadow"}
		for _, code := range names {
			b.scratch.CreateDatabase(t, code)
		}
		t.Cleanup(func() { b.scratch.DropTenants(t, names) })

		found, err := b.fleet.DiscoverTenants(context.Background(), herd.DiscoverRequest{})
		require.NoError(t, err)
		p := b.scratch.Prefix + "_"
		require.Equal(t, []herd.DiscoveredTenant{
			{Code: "_odd", Server: "main", Database: p + "_odd", Problem: `tenant code "_odd": use lower-case letters, digits and underscores only, starting with a letter or digit`},
			{Code: "a1", Server: "main", Database: p + "a1"},
			{Code: "b2", Server: "main", Database: p + "b2"},
		}, found)

		out := cliAt(t, b.scratch.ConfigPath)(0, "tenant", "discover", "--register")
		require.Contains(t, out, "a1    "+p+"a1")
		require.Contains(t, out, "registered")
		a1, err := b.fleet.Tenant(b.ctx, "a1")
		require.NoError(t, err)
		require.Equal(t, p+"a1", a1.Database)

		found, err = b.fleet.DiscoverTenants(context.Background(), herd.DiscoverRequest{Pattern: p + "{code}"})
		require.NoError(t, err)
		require.Len(t, found, 1)
		require.Equal(t, "_odd", found[0].Code)

		_, err = b.fleet.DiscoverTenants(context.Background(), herd.DiscoverRequest{Pattern: "no_code_here"})
		require.True(t, herd.IsInputError(err), "%v", err)

		// A database named by another convention keeps its name, and an
		// import that does not name it leaves it registered as it is.
		b.scratch.CreateDatabase(t, "legacy_c3")
		t.Cleanup(func() { b.scratch.DropTenants(t, []string{"legacy_c3"}) })
		found, err = b.fleet.DiscoverTenants(context.Background(), herd.DiscoverRequest{Pattern: p + "legacy_{code}", Register: true})
		require.NoError(t, err)
		require.Equal(t, []herd.DiscoveredTenant{{Code: "c3", Server: "main", Database: p + "legacy_c3", Registered: true}}, found)
		path := filepath.Join(b.scratch.Dir, "tenants.csv")
		require.NoError(t, os.WriteFile(path, []byte("code,tier\nc3,standard\n"), 0o644))
		report, err := b.fleet.ImportTenants(b.ctx, path, herd.ImportOptions{})
		require.NoError(t, err)
		require.Equal(t, herd.ImportUnchanged, report.Tenants[0].Action)
		require.Equal(t, p+"legacy_c3", report.Tenants[0].Database)
	})
}
