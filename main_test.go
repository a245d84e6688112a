package herd_test

import (
	"bytes"
	"context"
	"database/sql/driver"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	msqlite "modernc.org/sqlite"

	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/internal/cli"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/plan"
)

// TestMain lets the test binary stand in for the herd command: with
// HERD_TEST_AS_CLI=1 it runs the CLI on its arguments and exits, so tests
// can start real herd processes (to race them, or to kill one). In both
// roles SQLite has herd_test_sleep(ms), a statement that takes time
// without using the CPU, as pg_sleep and SLEEP do on the servers.
func TestMain(m *testing.M) {
	if err := msqlite.RegisterScalarFunction("herd_test_sleep", 1, func(_ *msqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		ms, ok := args[0].(int64)
		if !ok {
			return nil, fmt.Errorf("herd_test_sleep: want milliseconds, got %v", args[0])
		}
		time.Sleep(time.Duration(ms) * time.Millisecond)
		return ms, nil
	}); err != nil {
		panic(err)
	}
	if os.Getenv("HERD_TEST_AS_CLI") == "1" {
		os.Exit(cli.Run(context.Background(), cli.Env{
			Args: os.Args[1:], Stdout: os.Stdout, Stderr: os.Stderr, Dialects: herdtest.Dialects(),
			Signals: cli.Interrupts(), Hooks: crashHooks(os.Getenv("HERD_TEST_CRASH_AT")),
		}))
	}
	os.Exit(m.Run())
}

// crashHooks kill the process, as SIGKILL would, at the first tenant that
// reaches the named point of the rollout protocol: "claimed" (its lease
// taken), "committed" (its migration committed in its own database, the
// control database not yet told), "migrated" (the control database told,
// the rollout item not yet released), "released" (the item released) or
// "MIGRATION#N" (statement N of that migration, going up, about to run: of
// a migration that runs outside a transaction, recorded as started, its
// outcome uncertain); or at a shadow migration's event, named by its type:
// the end of a phase ("shadow.copy", …, "shadow.switch"), the capture
// installed as the copy begins ("shadow.capture"), or the first batch of
// captured changes caught up ("shadow.catchup_progress").
func crashHooks(point string) event.Sink {
	if point == "" {
		return nil
	}
	at := map[string]event.Type{"claimed": event.TenantStarted, "committed": event.MigrationDone, "migrated": event.TenantMigrated, "released": event.TenantDone}
	return event.SinkFunc(func(e event.Event) {
		if e.Type == at[point] || string(e.Type) == point && strings.HasPrefix(point, "shadow.") ||
			e.Type == event.StatementStarted && e.Direction == string(plan.Up) && point == fmt.Sprintf("%s#%d", e.Migration, e.Statement) {
			fmt.Fprintf(os.Stderr, "herd: crash point %s\n", point)
			p, _ := os.FindProcess(os.Getpid())
			p.Kill() //nolint:errcheck // the process is gone
			select {}
		}
	})
}

// herdProcess returns a herd command run by the test binary in its own
// process.
func herdProcess(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), "HERD_TEST_AS_CLI=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	return cmd, &out
}

// runCLI runs herd in-process and returns its exit code and all output.
func runCLI(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := cli.Run(context.Background(), cli.Env{Args: args, Stdout: &out, Stderr: &out, Dialects: herdtest.Dialects(),
		Getenv: func(string) string { return "" }})
	return code, out.String()
}

// cliAt returns a runner of herd in-process with --config config, which
// checks the exit code is want and returns all output.
func cliAt(t *testing.T, config string) func(want int, args ...string) string {
	return func(want int, args ...string) string {
		t.Helper()
		code, out := runCLI(t, append([]string{"--config", config}, args...)...)
		require.Equal(t, want, code, "%v: %s", args, out)
		return out
	}
}
