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
		backfill      bool
		shadowMode    bool
		apiMode       bool
		wrapper       string
	)
	cmd := &cobra.Command{
		Use:   "bench --engine sqlite|postgres|mysql [--operation migrate|migrate-down|rollout|rollout-down] [--tenants N] [--runs 3] [--concurrency 8] [--dsn DSN] [--backfill|--shadow|--api]",
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

With --backfill it times instead a backfill of one students table of --rows
rows three ways: the floor (one UPDATE of the whole table in one transaction),
herd (a herd:chunked migration with --chunk-size, --target and --pause,
migrated as herd migrate --tenant does) and the brief's OFFSET chunking
(pages of --chunk-size rows, each in its own transaction), each while a
writer updates a random student every 5ms. It prints rows/s, herd/floor
throughput and OFFSET/herd time ratios (medians of per-run ratios), the
writer's p50/p99/max wait and each side's peak RSS.

With --shadow it times instead one migration of a tenant of --rows students
that rewrites the students table (grade INT to BIGINT) and backfills it (a
herd:chunked migration with --chunk-size, --target and --pause), in place
(herd migrate --tenant) and by shadow migration (--strategy shadow), each on
a tenant of its own, the order alternating between runs. A reader reads a
student through the router every 10ms; during the shadow migration a writer
also writes one every 10ms, refusing writes while the router says the tenant
is read-only. It prints each strategy's time, the reader's longest wait, the
shadow migration's phases and write freeze (from herd's shadow.* events),
the ratios shadow/in-place (medians of per-run ratios), and which of issue
18's goals the medians meet.

With --api it times instead herd serve's JSON API: it registers --tenants
tenants (default 10000) in a scratch control database, straight in the
registry, refreshes the engine's statistics of it (ANALYZE), serves herd
serve's handler on a loopback port, and sends --rate
requests a second (default 200) for --duration (default 10s) to
GET /api/v1/tenants?limit=100 and, as the floor, to GET /healthz (answered
from memory), one after the other, each request on schedule. It prints each
path's p50, p95, p99 and max (medians of the runs), the p99 ratio API/floor
(median of per-run ratios), and whether the API's p99 is under issue 20's
20ms.

PostgreSQL and MySQL need a loopback server: --dsn, default $HERD_TEST_POSTGRES
or $HERD_TEST_MYSQL. herd.yaml is not read.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkConcurrency(opts.Concurrency); err != nil {
				return err
			}
			if err := checkModeFlags(cmd, backfill, shadowMode, apiMode); err != nil {
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
			if apiMode {
				rep, err := bench.RunAPI(cmd.Context(), opts)
				if err != nil {
					return err
				}
				return a.printBench(rep, asJSON, func() { renderAPI(a.out, rep) })
			}
			if shadowMode {
				rep, err := bench.RunShadow(cmd.Context(), opts)
				if err != nil {
					return err
				}
				return a.printBench(rep, asJSON, func() { renderShadow(a.out, rep) })
			}
			if backfill {
				rep, err := bench.RunBackfill(cmd.Context(), opts)
				if err != nil {
					return err
				}
				return a.printBench(rep, asJSON, func() { renderBackfill(a.out, rep) })
			}
			rep, err := bench.Run(cmd.Context(), opts)
			if err != nil {
				return err
			}
			return a.printBench(rep, asJSON, func() { renderBench(a.out, rep) })
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
	cmd.Flags().StringVar(&opts.OnConflict, "on-conflict", "", "herd's on_conflict (skip: no pre-flight), to measure the pre-flight's cost")
	cmd.Flags().DurationVar(&opts.DriftFresh, "drift-fresh", 0, "herd's drift_fresh: a drift check this young spares the pre-flight's inspection")
	cmd.Flags().BoolVar(&backfill, "backfill", false, "time a backfill of one students table instead of a fleet migration")
	cmd.Flags().BoolVar(&shadowMode, "shadow", false, "time a migration in place against a shadow migration of one tenant instead")
	cmd.Flags().BoolVar(&apiMode, "api", false, "time herd serve's JSON API (GET /api/v1/tenants?limit=100) against GET /healthz instead")
	cmd.Flags().IntVar(&opts.Rate, "rate", bench.DefaultAPIRate, "with --api: requests a second sent to each path")
	cmd.Flags().DurationVar(&opts.Duration, "duration", bench.DefaultAPIDuration, "with --api: how long each path is loaded in each run")
	cmd.Flags().IntVar(&opts.Rows, "rows", bench.DefaultRows, "with --backfill or --shadow: rows in the students table")
	cmd.Flags().IntVar(&opts.ChunkSize, "chunk-size", bench.DefaultChunkSize, "with --backfill or --shadow: herd's size= (and the OFFSET page size)")
	cmd.Flags().DurationVar(&opts.Target, "target", bench.DefaultTarget, "with --backfill or --shadow: herd's target= (negative: none)")
	cmd.Flags().DurationVar(&opts.Pause, "pause", 0, "with --backfill or --shadow: herd's pause=")
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

// checkModeFlags refuses a flag of one mode given in another: the
// table and chunking of --backfill and --shadow without either, the
// fleet's operation and size with one, the load of --api without it.
func checkModeFlags(cmd *cobra.Command, backfill, shadowMode, apiMode bool) error {
	modes := 0
	for _, on := range []bool{backfill, shadowMode, apiMode} {
		if on {
			modes++
		}
	}
	if modes > 1 {
		return usagef("bench: --backfill, --shadow and --api are three benchmarks; give one")
	}
	table, load := []string{"rows", "chunk-size", "target", "pause"}, []string{"rate", "duration"}
	wrong, mode := append(table, load...), "without --backfill, --shadow or --api"
	switch {
	case backfill:
		wrong, mode = append([]string{"operation", "tenants", "concurrency"}, load...), "with --backfill"
	case shadowMode:
		wrong, mode = append([]string{"operation", "tenants", "concurrency"}, load...), "with --shadow"
	case apiMode:
		wrong, mode = append([]string{"operation", "concurrency", "on-conflict", "drift-fresh", "profile-dir"}, table...), "with --api"
	}
	for _, name := range wrong {
		if cmd.Flags().Changed(name) {
			return usagef("bench: --%s does not apply %s", name, mode)
		}
	}
	return nil
}

// printBench prints rep as JSON, or with render.
func (a *app) printBench(rep any, asJSON bool, render func()) error {
	if asJSON {
		enc := json.NewEncoder(a.out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	render()
	return nil
}

// renderBackfill prints a backfill report as a table and the ratios.
func renderBackfill(w io.Writer, r bench.BackfillReport) {
	fmt.Fprintf(w, "herd bench --backfill: %s, %d rows, %d runs\nherd: %s\n\n", r.Engine, r.Rows, r.Runs, r.Header)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "side	median wall	rows/s	runs	writer p50	writer p99	writer max	writer errors	peak RSS")
	ms := func(d time.Duration) string { return d.Round(100 * time.Microsecond).String() }
	for _, s := range []struct {
		name string
		rep  bench.BackfillSideReport
	}{{"floor", r.Floor}, {"herd", r.Herd}, {"offset", r.Offset}} {
		runs := make([]string, len(s.rep.Runs))
		errs := 0
		for i, run := range s.rep.Runs {
			runs[i] = run.Wall.Round(time.Millisecond).String()
			errs += run.Writer.Errors
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%s\t%s\t%s\t%s\t%d\t%s\n", s.name, s.rep.Median.Round(time.Millisecond),
			s.rep.RowsPerSecond, strings.Join(runs, " "), ms(s.rep.WriterP50), ms(s.rep.WriterP99), ms(s.rep.WriterMax),
			errs, mebibytes(s.rep.PeakRSS))
	}
	tw.Flush()
	for _, s := range []struct {
		name string
		rep  bench.BackfillSideReport
	}{{"floor", r.Floor}, {"herd", r.Herd}, {"offset", r.Offset}} {
		for i, run := range s.rep.Runs {
			if run.Writer.FirstError != "" {
				fmt.Fprintf(w, "%s run %d: writer's first error: %s\n", s.name, i+1, run.Writer.FirstError)
			}
		}
	}
	fmt.Fprintf(w, "\nthroughput herd/floor: %.3f (runs: %s)\n", r.Throughput, floats(r.ThroughputRatios))
	fmt.Fprintf(w, "time offset/herd: %.3f (runs: %s)\n", r.Speedup, floats(r.SpeedupRatios))
	fmt.Fprintln(w, "writer figures are medians over the runs of each run's p50, p99 and max")
	if !r.Isolated {
		fmt.Fprintln(w, "the sides ran in this process: peak RSS is not per side")
	}
}

// renderShadow prints a shadow report: each strategy's figures, the
// shadow migration's phases, the ratios and the goals.
func renderShadow(w io.Writer, r bench.ShadowReport) {
	fmt.Fprintf(w, "herd bench --shadow: %s, %d rows, %d runs\nbackfill: %s; router refresh %s\n\n",
		r.Engine, r.Rows, r.Runs, r.Header, r.RouterRefresh)
	ms := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "strategy\tmedian time\truns\tread max\tread p99\treads\tread errors\twrite max\twrites\trefused\tsealed\tlost\tpeak RSS")
	for _, s := range []struct {
		name string
		rep  bench.StrategyReport
	}{{"in place", r.InPlace}, {"shadow", r.Shadow}} {
		runs := make([]string, len(s.rep.Runs))
		var reads, readErrs, writes, refused, sealed, lost, before int
		for i, run := range s.rep.Runs {
			runs[i] = ms(run.Wall)
			reads, readErrs = reads+run.Reader.Statements, readErrs+run.Reader.Errors
			writes, refused, sealed = writes+run.Writer.Statements, refused+run.Writer.Refused, sealed+run.Writer.Sealed
			lost, before = lost+run.Writer.Lost, before+run.Writer.LostBeforeSwitch
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%d\t%d\t%d\t%d (%d sent before the switch)\t%s\n", s.name, ms(s.rep.Median),
			strings.Join(runs, " "), ms(s.rep.ReadMax), ms(s.rep.ReadP99), reads, readErrs, ms(s.rep.WriteMax), writes, refused,
			sealed, lost, before, mebibytes(s.rep.PeakRSS))
	}
	tw.Flush()
	fmt.Fprintln(w, "\nshadow phases (medians; freeze is taking it, write freeze is from the freeze taken to the switch):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\tcapture\tcopy\tcatch-up\tfreeze\tverify\tmigrate\tswitch\twrite freeze\tfreeze tries")
	line := func(name string, p bench.ShadowPhases) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", name, ms(p.Capture), ms(p.Copy), ms(p.CatchUp), ms(p.Freeze), ms(p.Verify),
			ms(p.Migrate), ms(p.Switch), ms(p.WriteFreeze), p.FreezeTries)
	}
	line("median", r.Shadow.Phases)
	for i, run := range r.Shadow.Runs {
		line(fmt.Sprintf("run %d", i+1), run.Phases)
	}
	tw.Flush()
	for _, s := range []struct {
		name string
		rep  bench.StrategyReport
	}{{"in place", r.InPlace}, {"shadow", r.Shadow}} {
		for i, run := range s.rep.Runs {
			if run.Reader.FirstError != "" {
				fmt.Fprintf(w, "%s run %d: reader's first error: %s\n", s.name, i+1, run.Reader.FirstError)
			}
			if run.Writer.FirstError != "" {
				fmt.Fprintf(w, "%s run %d: writer's first error: %s\n", s.name, i+1, run.Writer.FirstError)
			}
		}
	}
	for _, s := range []struct {
		name string
		rep  bench.StrategyReport
	}{{"in place", r.InPlace}, {"shadow", r.Shadow}} {
		during := make([]string, len(s.rep.Runs))
		for i, run := range s.rep.Runs {
			during[i] = fmt.Sprintf("%s (%s)", ms(run.Reader.Max), run.ReadMaxDuring)
		}
		fmt.Fprintf(w, "%s: longest read of each run, and what it began during: %s\n", s.name, strings.Join(during, ", "))
	}
	fmt.Fprintf(w, "\ntime shadow/in-place: %.3f (runs: %s)\n", r.Ratios.Time, floats(r.Ratios.TimeRuns))
	fmt.Fprintf(w, "read max shadow/in-place: %.3f (runs: %s)\n\n", r.Ratios.ReadStall, floats(r.Ratios.ReadStallRuns))
	for _, g := range r.Goals {
		mark := "MISSED"
		if g.Met {
			mark = "met"
		}
		fmt.Fprintf(w, "goal %s: %s (%s)\n", mark, g.Goal, g.Figure)
	}
	if !r.Isolated {
		fmt.Fprintln(w, "the sides ran in this process: peak RSS is not per side")
	}
}

// renderAPI prints an API report: each path's percentiles, the ratio and
// the goal.
func renderAPI(w io.Writer, r bench.APIReport) {
	fmt.Fprintf(w, "herd bench --api: %s, %d tenants, %d requests/s for %s a path, %d runs\n\n",
		r.Engine, r.Tenants, r.Rate, r.Duration, r.Runs)
	ms := func(d time.Duration) string { return d.Round(10 * time.Microsecond).String() }
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "path\tp50\tp95\tp99\tmax\tp99 of each run\trequests\terrors")
	for _, s := range []bench.LoadReport{r.API, r.Floor} {
		runs := make([]string, len(s.Runs))
		requests, errs := 0, 0
		for i, run := range s.Runs {
			runs[i], requests, errs = ms(run.P99), requests+run.Requests, errs+run.Errors
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n", s.Path, ms(s.P50), ms(s.P95), ms(s.P99), ms(s.Max),
			strings.Join(runs, " "), requests, errs)
	}
	tw.Flush()
	for _, s := range []bench.LoadReport{r.API, r.Floor} {
		for i, run := range s.Runs {
			if run.FirstError != "" {
				fmt.Fprintf(w, "%s run %d: first error: %s\n", s.Path, i+1, run.FirstError)
			}
		}
	}
	fmt.Fprintln(w, "figures are medians over the runs of each run's percentiles")
	fmt.Fprintf(w, "\np99 api/floor: %.3f (runs: %s)\n", r.P99Ratio, floats(r.P99Ratios))
	mark := "MISSED"
	if r.Met {
		mark = "met"
	}
	fmt.Fprintf(w, "goal %s: p99 of %s under %s at %d requests/s over %d tenants (%s)\n", mark, r.API.Path, bench.APIGoal,
		r.Rate, r.Tenants, ms(r.API.P99))
}

// floats formats xs with three decimals.
func floats(xs []float64) string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = fmt.Sprintf("%.3f", x)
	}
	return strings.Join(out, " ")
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
