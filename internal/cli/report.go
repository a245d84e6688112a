package cli

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/report"
)

func (a *app) reportCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "report", Short: "Write reports for people who were not watching: a rollout's outcome", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return usagef("report needs a subcommand: rollout")
		}}
	cmd.AddCommand(a.reportRolloutCmd())
	return cmd
}

func (a *app) reportRolloutCmd() *cobra.Command {
	var (
		format, output string
		asJSON         bool
	)
	formats := make([]string, 0, len(report.Formats()))
	for _, f := range report.Formats() {
		formats = append(formats, string(f))
	}
	cmd := &cobra.Command{
		Use:   "rollout [ID] [--format md|csv|html] [--output FILE]",
		Short: "Summarise a rollout: tenants migrated, failed, rolled back and skipped, durations, errors by cause",
		Long: `Summarise rollout ID (default: the newest) for a change-advisory board or a
customer-success team: how many tenants it migrated, found already at the
version, failed, rolled back and skipped; the durations of the tenants it ran
(p50, p95, max); the 10 slowest tenants; and the errors of the failed and
rolled-back tenants grouped by cause (a tenant's code reads <tenant> and
standalone numbers read N, so that one cause reads the same for every tenant),
with the skipped tenants grouped by reason.

Formats: md (Markdown, the default), csv (one long table: section, name, value,
detail; durations in milliseconds) and html (one self-contained page). --output
writes the report to FILE instead of stdout; --json prints the summary as JSON.
See docs/reports.md.

` + exitCodes,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := rolloutID(args)
			if err != nil {
				return err
			}
			f, err := report.ParseFormat(format)
			if err != nil {
				return err
			}
			return a.withFleet(cmd.Context(), herd.Options{}, func(fl *herd.Fleet) error {
				s, err := fl.RolloutSummary(cmd.Context(), id)
				if err != nil {
					return err
				}
				var buf bytes.Buffer
				if asJSON {
					err = writeJSON(&buf, s)
				} else {
					err = report.Render(&buf, f, s)
				}
				if err != nil {
					return fmt.Errorf("report rollout %d: %w", s.Rollout.ID, err)
				}
				if output == "" {
					_, err = a.out.Write(buf.Bytes())
					return err
				}
				if err := os.WriteFile(output, buf.Bytes(), 0o644); err != nil {
					return &herd.InputError{Err: fmt.Errorf("report rollout %d: --output: %w", s.Rollout.ID, err)}
				}
				fmt.Fprintf(a.env.Stderr, "herd: report of rollout %d written to %s\n", s.Rollout.ID, output)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&format, "format", string(report.Markdown), "report format: "+strings.Join(formats, ", "))
	cmd.Flags().StringVar(&output, "output", "", "write the report to this file instead of stdout")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the summary as JSON instead of a report")
	return cmd
}
