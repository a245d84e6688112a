package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/internal/herdtest"

	schoolerp "github.com/herdhq/herd/examples/school-erp"
)

const cliFlags = `flags:
  reports:
    required_version: 1.0.0
    enabled_for: [premium]
    rollout_percentage: 100
    description: Report builder
  enhanced_fees:
    required_version: 2.0.0
    rollout_percentage: 100
`

// flagFleet writes a SQLite fleet with cliFlags and tenants alpha
// (premium, 1.0.0) and beta (standard, 2.0.0), and returns its herd.yaml.
func flagFleet(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	migrations, err := fs.Sub(schoolerp.Files(), "migrations")
	require.NoError(t, err)
	scratch := herdtest.Engines()[0].NewFleet(t, migrations)
	scratch.WriteConfig(t, scratch.Config(cliFlags))
	f, err := herd.Open(ctx, scratch.Load(t), herdtest.Dialects(), herd.Options{})
	require.NoError(t, err)
	defer f.Close()
	for _, spec := range []herd.TenantSpec{{Code: "alpha", Tier: "premium"}, {Code: "beta"}} {
		_, err := f.AddTenant(ctx, spec)
		require.NoError(t, err)
	}
	require.NoError(t, f.Migrate(ctx, herd.TenantRef("alpha"), "1.0.0"))
	require.NoError(t, f.Migrate(ctx, herd.TenantRef("beta"), "2.0.0"))
	return scratch.ConfigPath
}

// runRoot runs herd's root command, with the flags and serve commands
// added if the root does not have them yet, and returns the exit code as
// Run computes it.
func runRoot(ctx context.Context, stdout io.Writer, getenv func(string) string, args ...string) int {
	red := &redactor{}
	env := Env{Args: args, Stdout: red.wrap(stdout), Stderr: red.wrap(stdout), Getenv: getenv, Dialects: herdtest.Dialects()}
	a := &app{env: env, out: env.Stdout, secrets: red}
	root := a.root()
	for _, c := range []*cobra.Command{a.flagsCmd(), a.serveCmd()} {
		if found, _, err := root.Find([]string{c.Name()}); err != nil || found == root {
			wrapArgs(c)
			root.AddCommand(c)
		}
	}
	root.SetArgs(args)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	writeError(env.Stderr, err)
	return exitCode(err)
}

func runFlags(t *testing.T, config string, want int, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	code := runRoot(context.Background(), &out, func(string) string { return "" }, append([]string{"--config", config}, args...)...)
	require.Equal(t, want, code, "herd %s: %s", strings.Join(args, " "), out.String())
	return out.String()
}

func TestFlagsEval(t *testing.T) {
	t.Parallel()
	config := flagFleet(t)

	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(runFlags(t, config, 0, "flags", "eval", "enhanced_fees", "--tenant", "alpha", "--json")), &got))
	require.Equal(t, map[string]any{"flag": "enhanced_fees", "tenant": "alpha", "enabled": false, "reason": "VERSION_GATE",
		"detail": "tenant at 1.0.0 is below the required 2.0.0"}, got)
	require.NoError(t, json.Unmarshal([]byte(runFlags(t, config, 0, "flags", "eval", "reports", "--tenant", "alpha", "--json")), &got))
	require.Equal(t, true, got["enabled"])
	require.Equal(t, "PERCENTAGE_ON", got["reason"])

	require.Equal(t, "off (TIER): tier standard is not one of premium\n", runFlags(t, config, 0, "flags", "eval", "reports", "--tenant", "beta"))

	out := runFlags(t, config, ExitInput, "flags", "eval", "no_such_flag", "--tenant", "alpha")
	require.Contains(t, out, `flag "no_such_flag": flag not found (herd.yaml declares enhanced_fees, reports)`)
	out = runFlags(t, config, ExitInput, "flags", "eval", "reports", "--tenant", "nobody")
	require.Contains(t, out, `tenant "nobody": tenant not found`)
	require.Contains(t, runFlags(t, config, ExitInput, "flags", "eval", "reports"), "needs --tenant")
	runFlags(t, config, ExitInput, "flags", "eval", "--tenant", "alpha")
	runFlags(t, config, ExitInput, "flags")
}

func TestFlagsSetAndList(t *testing.T) {
	t.Parallel()
	config := flagFleet(t)

	out := runFlags(t, config, 0, "flags", "set", "reports", "--tenant", "beta", "on")
	require.Equal(t, "overrode reports for tenant beta: on\nnow on (OVERRIDE_ON): turned on for this tenant by an override\n", out)
	out = runFlags(t, config, 0, "flags", "set", "enhanced_fees", "--tenant", "alpha", "on")
	require.Contains(t, out, "now off (VERSION_GATE)", "an override does not open the version gate")

	var rules []herd.FlagRules
	require.NoError(t, json.Unmarshal([]byte(runFlags(t, config, 0, "flags", "list", "--json")), &rules))
	require.Equal(t, []herd.FlagRules{
		{Name: "enhanced_fees", RequiredVersion: "2.0.0", EnabledFor: []string{}, BetaTenants: []string{}, RolloutPercentage: 100,
			Overrides: map[string]string{"alpha": "on"}},
		{Name: "reports", RequiredVersion: "1.0.0", EnabledFor: []string{"premium"}, BetaTenants: []string{}, RolloutPercentage: 100,
			Description: "Report builder", Overrides: map[string]string{"beta": "on"}},
	}, rules)
	out = runFlags(t, config, 0, "flags", "list")
	require.Contains(t, out, "FLAG")
	require.Regexp(t, `reports\s+1\.0\.0\s+premium\s+-\s+100%\s+beta=on\s+Report builder`, out)

	var results []flagResult
	require.NoError(t, json.Unmarshal([]byte(runFlags(t, config, 0, "flags", "list", "--tenant", "beta", "--json")), &results))
	require.Equal(t, []flagResult{
		{Flag: "enhanced_fees", Tenant: "beta", Enabled: true, Reason: "PERCENTAGE_ON", Detail: results[0].Detail},
		{Flag: "reports", Tenant: "beta", Enabled: true, Reason: "OVERRIDE_ON", Detail: "turned on for this tenant by an override"},
	}, results)
	require.Regexp(t, `reports\s+on\s+OVERRIDE_ON`, runFlags(t, config, 0, "flags", "list", "--tenant", "beta"))

	out = runFlags(t, config, 0, "flags", "set", "reports", "--tenant", "beta", "default")
	require.Equal(t, "removed the override of reports for tenant beta\nnow off (TIER): tier standard is not one of premium\n", out)

	runFlags(t, config, ExitInput, "flags", "set", "reports", "--tenant", "beta", "maybe")
	runFlags(t, config, ExitInput, "flags", "set", "reports", "--tenant", "nobody", "on")
	runFlags(t, config, ExitInput, "flags", "set", "no_such_flag", "--tenant", "beta", "on")
	runFlags(t, config, ExitInput, "flags", "set", "reports", "on")
	runFlags(t, config, ExitInput, "flags", "list", "--tenant", "nobody")
}

// lines hands over what a command prints, line by line, while it runs.
type lines struct{ w *io.PipeWriter }

func (l lines) Write(p []byte) (int, error) { return l.w.Write(p) }

func TestServe(t *testing.T) {
	t.Parallel()
	config := flagFleet(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	getenv := func(name string) string {
		if name == viewerTokensEnv {
			return " first-token , second-token,"
		}
		return ""
	}
	exited := make(chan int, 1)
	go func() {
		exited <- runRoot(ctx, lines{pw}, getenv, "--config", config, "serve", "--addr", "127.0.0.1:0", "--refresh", "100ms")
		pw.Close()
	}()
	scan := bufio.NewScanner(pr)
	require.True(t, scan.Scan(), "serve printed nothing")
	first := scan.Text()
	require.Contains(t, first, "(2 viewer token(s) from HERD_VIEWER_TOKENS, 0 operator token(s) from HERD_OPERATOR_TOKENS)")
	base, _, ok := strings.Cut(strings.TrimPrefix(first, "herd: serving on "), " ")
	require.True(t, ok, first)
	go io.Copy(io.Discard, pr) //nolint:errcheck // drain the log

	post := func(token string) int {
		req, err := http.NewRequest(http.MethodPost, base+"/ofrep/v1/evaluate/flags/reports", strings.NewReader(`{"context": {"targetingKey": "alpha"}}`))
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusUnauthorized, post(""))
	require.Equal(t, http.StatusOK, post("second-token"))
	require.Equal(t, http.StatusOK, post("first-token"), "a bare secret stays a viewer token")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(base + "/")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "the console sends a browser to sign in")
	require.Equal(t, "/login?next=%2F", resp.Header.Get("Location"))

	cancel()
	select {
	case code := <-exited:
		require.Equal(t, ExitOK, code, "a graceful stop")
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// serve refuses, before it opens the fleet or listens, to serve without
// tokens on an address other machines reach, and a malformed token list;
// both are exit 2, and no secret is printed.
func TestServeRefuses(t *testing.T) {
	t.Parallel()
	config := flagFleet(t)
	for _, tc := range []struct {
		name, addr, viewers, operators, want string
	}{
		{name: "every interface without tokens", addr: "0.0.0.0:0", want: "--addr 0.0.0.0:0 is not a loopback address and no token is set"},
		{name: "a host name without tokens", addr: "example.org:8080", want: "is not a loopback address"},
		{name: "an operator token without a name", addr: "127.0.0.1:0", operators: ":s3cret-op", want: "HERD_OPERATOR_TOKENS: operator token 1: the name before the colon is empty"},
		{name: "a named token without a secret", addr: "127.0.0.1:0", viewers: "ana:", want: `HERD_VIEWER_TOKENS: viewer token "ana": the secret after the colon is empty`},
		{name: "a name twice", addr: "127.0.0.1:0", operators: "ana:s3cret-one,ana:s3cret-two", want: `operator token "ana": the name is given twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			getenv := func(name string) string {
				return map[string]string{viewerTokensEnv: tc.viewers, operatorTokensEnv: tc.operators}[name]
			}
			var out strings.Builder
			code := runRoot(context.Background(), &out, getenv, "--config", config, "serve", "--addr", tc.addr)
			require.Equal(t, ExitInput, code, out.String())
			require.Contains(t, out.String(), tc.want)
			require.NotContains(t, out.String(), "s3cret")
		})
	}
}
