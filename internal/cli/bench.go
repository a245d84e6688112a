package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/herdhq/herd/bench"
)

// benchDSNEnv starts the name of the environment variable bench reads an
// engine's default DSN from, the engine's name in upper case ending it:
// the variables the real-server tests use (HERD_TEST_POSTGRES,
// HERD_TEST_MYSQL).
const benchDSNEnv = "HERD_TEST_"

func (a *app) benchCmd() *cobra.Command {
	var (
		opts          bench.Options
		asJSON        bool
		inThisProcess bool
		wrapper       string
	)
	cmd := &cobra.Command{
		Use:   "bench --engine sqlite|postgres|mysql [--operation migrate|migrate-down|rollout|rollout-down] [--tenants N] [--runs 3] [--concurrency 8] [--dsn DSN]",
		Short: "Time herd against a bare migration loop (the floor) on a scratch School ERP fleet",
		Long: `bench migrates a scratch fleet of School ERP tenants with herd, and a second
fleet of the same size through a minimal loop that applies the same SQL with
no bookkeeping (the floor), with the same concurrency. --operation says what
herd does: migrate (migrate --all from empty to the latest release, the
default), migrate-down (migrate --all --to the previous release, from the
latest), rollout and rollout-down (the same moves by rollout start, run to
the end). The floor applies the releases' up scripts, or the newest
release's down scripts. It prints tenants/second for both, the ratio herd/floor of wall
times (median of the runs), the ratio of the two processes' CPU times and
each side's peak RSS. Each side runs in its own process. Every database it creates is dropped at the end.

PostgreSQL and MySQL need a loopback server: --dsn, default $HERD_TEST_POSTGRES
or $HERD_TEST_MYSQL. herd.yaml is not read.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkConcurrency(opts.Concurrency); err != nil {
				return err
			}
			if opts.DSN == "" {
				opts.DSN = a.env.Getenv(benchDSNEnv + strings.ToUpper(opts.Engine))
			}
			a.secrets.add(opts.DSN)
			opts.Dialects = a.env.Dialects
			opts.Logger = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			if !inThisProcess {
				exe, err := os.Executable()
				if err != nil {
					return fmt.Errorf("bench: find the herd binary to run each side in: %w", err)
				}
				stderr := cmd.ErrOrStderr()
				argv := append(strings.Fields(wrapper), exe, "bench", "side")
				opts.Spawn = func(ctx context.Context) *exec.Cmd {
					c := exec.CommandContext(ctx, argv[0], argv[1:]...)
					c.Stderr = stderr
					return c
				}
			}
			rep, err := bench.Run(cmd.Context(), opts)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(a.out)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			renderBench(a.out, rep)
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.Engine, "engine", "sqlite", "sqlite, postgres or mysql")
	cmd.Flags().StringVar((*string)(&opts.Operation), "operation", string(bench.MigrateUp), "migrate, migrate-down, rollout or rollout-down")
	cmd.Flags().IntVar(&opts.Tenants, "tenants", 0, "tenants in each fleet (default: 1000 on sqlite, 200 on postgres, 100 on mysql)")
	cmd.Flags().IntVar(&opts.Runs, "runs", 3, "timed runs; the figures are medians")
	cmd.Flags().IntVar(&opts.Concurrency, "concurrency", 8, "tenants migrated at once, on both sides")
	cmd.Flags().StringVar(&opts.DSN, "dsn", "", "loopback server for postgres or mysql (default $"+benchDSNEnv+"POSTGRES or $"+benchDSNEnv+"MYSQL)")
	cmd.Flags().StringVar(&opts.Dir, "dir", "", "folder for the SQLite fleets (default: a temporary folder)")
	cmd.Flags().StringVar(&opts.ProfileDir, "profile-dir", "", "write a CPU profile of each timed section here")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.Flags().BoolVar(&inThisProcess, "in-process", false, "run both sides in this process (peak RSS is then not per side)")
	cmd.Flags().StringVar(&wrapper, "exec", "", "run each side's process through this command, as go test -exec does (e.g. \"valgrind --tool=callgrind\", which counts instructions; the times are then its own)")
	// --exec wraps the side processes, which --in-process does without.
	cmd.MarkFlagsMutuallyExclusive("exec", "in-process")
	cmd.AddCommand(a.benchSideCmd())
	return cmd
}

// benchSideCmd is the process bench starts for each timed side: it reads
// its job on stdin and writes the result to stdout.
func (a *app) benchSideCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "side",
		Short:  "Run one timed side of herd bench (internal)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return bench.ServeSide(cmd.Context(), cmd.InOrStdin(), a.out, a.env.Dialects)
		},
	}
}

// renderBench prints the report as a table and the ratio.
func renderBench(w io.Writer, r bench.Report) {
	fmt.Fprintf(w, "herd bench: %s %s, %d tenants, concurrency %d, %d runs\n\n",
		r.Engine, r.Operation, r.Tenants, r.Concurrency, r.Runs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "side\tmedian wall\ttenants/s\truns\tcpu/run\twrites/tenant\tpeak RSS")
	for _, s := range []struct {
		name string
		rep  bench.SideReport
	}{{"herd", r.Herd}, {"floor", r.Floor}} {
		runs := make([]string, len(s.rep.Runs))
		for i, run := range s.rep.Runs {
			runs[i] = run.Wall.Round(time.Millisecond).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%s\t%s\t%.0f\t%s\n", s.name, s.rep.Median.Round(time.Millisecond),
			s.rep.TenantsPerSecond, strings.Join(runs, " "), s.rep.CPU.Round(time.Millisecond), s.rep.WritesPerTenant,
			mebibytes(s.rep.PeakRSS))
	}
	tw.Flush()
	ratios := make([]string, len(r.RunRatios))
	for i, x := range r.RunRatios {
		ratios[i] = fmt.Sprintf("%.3f", x)
	}
	fmt.Fprintf(w, "\nratio herd/floor: %.3f (median of runs: %s; ratio of medians %.3f)\n",
		r.Ratio, strings.Join(ratios, " "), r.RatioOfMedians)
	fmt.Fprintf(w, "cpu herd/floor: %.3f (mean of the runs, each side's process only)\n", r.CPURatio)
	if !r.Isolated {
		fmt.Fprintln(w, "both sides ran in one process: peak RSS is not per side")
	}
}

func mebibytes(b int64) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}
