package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/event"
)

// ExitWaiting is the exit code of a rollout that stopped with tenants
// still waiting: for their maintenance window, or because it is paused.
const ExitWaiting = 3

func (a *app) rolloutCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "rollout", Short: "Bring tenants to a release gradually, in waves", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return usagef("rollout needs a subcommand: start, status, work, pause, resume, abort or retry")
		}}
	cmd.AddCommand(a.rolloutStartCmd(), a.rolloutWorkCmd("work", "Run a rollout's waves; several processes may work one rollout"),
		a.rolloutWorkCmd("resume", "Reopen a paused or halted rollout and run it to the end"),
		a.rolloutStatusCmd(), a.rolloutStepCmd("pause"), a.rolloutStepCmd("abort"), a.rolloutRetryCmd())
	return cmd
}

// rolloutOptions wires the rollout manager to the webhooks of herd.yaml;
// the run's other subscribers (the renderer, the tests' hooks) are on the
// fleet's event stream, which the manager's events join. The returned
// function flushes the webhooks (for at most 30 seconds).
func (a *app) rolloutOptions(ctx context.Context, f *herd.Fleet) (herd.RolloutOptions, func(), error) {
	sender, err := f.Webhooks(ctx)
	if err != nil || sender == nil {
		return herd.RolloutOptions{}, func() {}, err
	}
	return herd.RolloutOptions{Events: sender}, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := sender.Close(ctx); err != nil {
			fmt.Fprintf(a.env.Stderr, "herd: webhooks: %v (%d events dropped)\n", err, sender.Dropped())
		}
	}, nil
}

func (a *app) rolloutStartCmd() *cobra.Command {
	var (
		to, selector, at           string
		dryRun, asJSON, allowEmpty bool
	)
	cmd := &cobra.Command{
		Use:   "start --to RELEASE [--tenants SELECTOR] [--at TIME] [--dry-run]",
		Short: "Start a rollout and run it in the foreground until it ends",
		Long: `Phase 1 migrates the system database and marks the selected tenants; phase 2 runs the
waves from herd.yaml. SELECTOR: comma-separated codes, tier=T, server=S, tag:K=V, size=large|small or @FILE;
one that matches no tenant is refused unless --allow-empty. With --at, the runner waits
for that time; rollout pause or abort from another shell ends the wait. The first SIGINT
or SIGTERM stops claiming tenants and lets those in flight finish (resume carries on),
a second stops at once.

` + exitCodes,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if to == "" {
				return usagef("rollout start: --to RELEASE is required")
			}
			req := herd.StartRequest{Release: to, Selector: selector, DryRun: dryRun, AllowEmpty: allowEmpty}
			if at != "" {
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return usagef("--at %q: want RFC 3339, e.g. 2026-11-28T01:00:00+05:30", at)
				}
				req.At = &t
			}
			r := a.newRenderer(asJSON)
			defer r.close()
			// The first interrupt stops the runner gracefully.
			ctx := a.interrupts.graceful(cmd.Context())
			return a.withFleet(ctx, herd.Options{Events: r}, func(f *herd.Fleet) error {
				opts, flush, err := a.rolloutOptions(ctx, f)
				if err != nil {
					return err
				}
				defer flush()
				if !dryRun {
					if err := f.CheckWebhooks(); err != nil {
						return err
					}
				}
				m := f.Rollouts(opts)
				ro, items, err := m.Start(ctx, req)
				if err != nil {
					return allowEmptyHint(err)
				}
				if dryRun {
					if asJSON {
						return writeJSON(a.out, dryRunReport(ro, items))
					}
					renderItems(a.out, items)
					return nil
				}
				r.begin(ro, items)
				return a.finish(m.Work(ctx, ro.ID))
			})
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "release (or schema version) to roll out")
	cmd.Flags().StringVar(&selector, "tenants", "", "which tenants (default: all)")
	cmd.Flags().BoolVar(&allowEmpty, "allow-empty", false, "start even when the selector matches no tenant (then only the system database is migrated)")
	cmd.Flags().StringVar(&at, "at", "", "start at this time (RFC 3339) instead of now")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the waves and tenants without changing anything")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print events as JSON lines (with --dry-run, the plan as one JSON object)")
	return cmd
}

// finish turns how a runner ended into the exit code's error.
func (a *app) finish(out herd.Outcome, err error) error {
	if err != nil {
		return err
	}
	r := out.Rollout
	switch {
	case r.Status == herd.RolloutHalted:
		return fmt.Errorf("rollout %d halted: %s", r.ID, r.Reason)
	case r.Status == herd.RolloutAborted:
		return fmt.Errorf("rollout %d was aborted", r.ID)
	case out.Failed > 0:
		return fmt.Errorf("rollout %d: %d tenants failed; see herd rollout status %d", r.ID, out.Failed, r.ID)
	case out.Stopped:
		return &waitingError{fmt.Sprintf("rollout %d stopped on request after the tenants in flight finished; herd rollout resume %d carries on", r.ID, r.ID)}
	case out.Waiting:
		return &waitingError{fmt.Sprintf("rollout %d: tenants wait for their maintenance window (next opens %s); run herd rollout work %d then",
			r.ID, out.NextWindow.Format(time.RFC3339), r.ID)}
	case r.Status == herd.RolloutPaused:
		return &waitingError{fmt.Sprintf("rollout %d is paused; herd rollout resume %d carries on", r.ID, r.ID)}
	}
	fmt.Fprintf(a.out, "rollout %d %s\n", r.ID, r.Status)
	return nil
}

func (a *app) rolloutWorkCmd(verb, short string) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   verb + " [ID]",
		Short: short + " (default: the newest unfinished rollout)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := rolloutID(args)
			if err != nil {
				return err
			}
			r := a.newRenderer(asJSON)
			defer r.close()
			// The first interrupt stops the runner gracefully.
			ctx := a.interrupts.graceful(cmd.Context())
			return a.withFleet(ctx, herd.Options{Events: r}, func(f *herd.Fleet) error {
				opts, flush, err := a.rolloutOptions(ctx, f)
				if err != nil {
					return err
				}
				defer flush()
				if err := f.CheckWebhooks(); err != nil {
					return err
				}
				m := f.Rollouts(opts)
				if verb == "resume" {
					ro, err := m.Reopen(ctx, id)
					if err != nil {
						return err
					}
					id = ro.ID
				}
				return a.finish(m.Work(ctx, id))
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print events as JSON lines")
	return cmd
}

func (a *app) rolloutStepCmd(verb string) *cobra.Command {
	return &cobra.Command{
		Use:   verb + " [ID]",
		Short: map[string]string{"pause": "Stop claiming tenants; those in flight finish", "abort": "End the rollout; migrated tenants stay migrated"}[verb],
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := rolloutID(args)
			if err != nil {
				return err
			}
			return a.withFleet(cmd.Context(), herd.Options{}, func(f *herd.Fleet) error {
				m := f.Rollouts(herd.RolloutOptions{})
				step := m.Pause
				if verb == "abort" {
					step = m.Abort
				}
				r, err := step(cmd.Context(), id)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.out, "rollout %d %s\n", r.ID, r.Status)
				return nil
			})
		},
	}
}

func (a *app) rolloutRetryCmd() *cobra.Command {
	var failed bool
	cmd := &cobra.Command{
		Use:   "retry [ID] --failed",
		Short: "Run again only the tenants that failed (then herd rollout work)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !failed {
				return usagef("rollout retry: say --failed")
			}
			id, err := rolloutID(args)
			if err != nil {
				return err
			}
			return a.withFleet(cmd.Context(), herd.Options{}, func(f *herd.Fleet) error {
				r, n, err := f.Rollouts(herd.RolloutOptions{}).RetryFailed(cmd.Context(), id)
				if err != nil {
					return err
				}
				if n == 0 {
					fmt.Fprintf(a.out, "rollout %d: no failed or rolled-back tenants; nothing to retry (the rollout stays %s)\n", r.ID, r.Status)
					return nil
				}
				fmt.Fprintf(a.out, "rollout %d: %d failed tenants pending again; herd rollout work %d runs them\n", r.ID, n, r.ID)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&failed, "failed", false, "the failed and rolled-back tenants")
	return cmd
}

func (a *app) rolloutStatusCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status [ID]",
		Short: "Counts per state and, per tenant, state, attempts, duration and last error",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := rolloutID(args)
			if err != nil {
				return err
			}
			return show(a, cmd, asJSON, view[herd.RolloutReport]{
				read: func(f *herd.Fleet, ctx context.Context) (herd.RolloutReport, error) {
					return f.RolloutReport(ctx, id)
				},
				render: renderReport,
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func renderReport(w io.Writer, rep herd.RolloutReport) {
	r := rep.Rollout
	fmt.Fprintf(w, "rollout %d: %s to %s (tenant v%s), %s", r.ID, r.Selector, r.Release, r.TenantVersion, r.Status)
	if r.Reason != "" {
		fmt.Fprintf(w, ": %s", r.Reason)
	}
	fmt.Fprintln(w)
	for _, st := range herd.ItemStates() {
		if n := rep.Counts[st]; n > 0 {
			fmt.Fprintf(w, "  %-12s %d\n", st, n)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nTENANT\tWAVE\tSTATE\tATTEMPTS\tDURATION\tNEXT WINDOW\tERROR")
	for _, t := range rep.Tenants {
		next := ""
		if t.NextEligible != nil {
			next = t.NextEligible.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%dms\t%s\t%s\n", t.Tenant, t.WaveName, t.State, t.Attempts, t.DurationMS, next, t.Error)
	}
	tw.Flush()
	for _, t := range rep.Tenants {
		if c := t.Chunk; c != nil {
			fmt.Fprintf(w, "%s: %s chunked over %s: %s\n", t.Tenant, c.Migration, c.Table, chunkDone(c))
		}
		if t.Shadow != nil {
			fmt.Fprintf(w, "%s: shadow migration %s\n", t.Tenant, describeShadow(*t.Shadow))
		}
	}
}

// chunkDone says how far a chunked migration got: its rows, its last key
// and, when the table was analysed, its share of the table's rows.
func chunkDone(c *herd.ChunkRun) string {
	out := fmt.Sprintf("%d rows", c.Rows)
	if c.TableRows > 0 {
		out += fmt.Sprintf(" of about %d (%d%%)", c.TableRows, min(100, c.Rows*100/c.TableRows))
	}
	if c.Last == "" {
		return out + ", no range committed yet"
	}
	return out + fmt.Sprintf(", %s up to %s committed", c.Key, c.Last)
}

// dryRun is what rollout start --dry-run --json prints: the rollout that
// would be recorded (it has no id yet), its counts per state and its
// tenants, as rollout status --json names them.
type dryRun struct {
	DryRun        bool                   `json:"dry_run"`
	Release       string                 `json:"release"`
	SystemVersion string                 `json:"system_version"`
	TenantVersion string                 `json:"tenant_version"`
	Selector      string                 `json:"selector"`
	Status        herd.RolloutStatus     `json:"status"`
	StartAt       *time.Time             `json:"start_at,omitempty"`
	Counts        map[herd.ItemState]int `json:"counts"`
	Tenants       []herd.RolloutItem     `json:"tenants"`
}

func dryRunReport(r herd.Rollout, items []herd.RolloutItem) dryRun {
	rep := dryRun{DryRun: true, Release: r.Release, SystemVersion: r.SystemVersion, TenantVersion: r.TenantVersion,
		Selector: r.Selector, Status: r.Status, StartAt: r.StartAt, Counts: map[herd.ItemState]int{}, Tenants: nonNil(items)}
	for _, it := range items {
		rep.Counts[it.State]++
	}
	return rep
}

func renderItems(w io.Writer, items []herd.RolloutItem) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WAVE\tTENANT\tSERVER\tFROM\tSTATE")
	for _, it := range items {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s %s\n", it.WaveName, it.Tenant, it.Server, versionLabel(it.FromVersion), it.State, it.Error)
	}
	tw.Flush()
}

func rolloutID(args []string) (int64, error) {
	if len(args) == 0 {
		return 0, nil
	}
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || id < 1 {
		return 0, usagef("rollout id %q: want a positive number", args[0])
	}
	return id, nil
}

var _ event.Sink = (*renderer)(nil)
