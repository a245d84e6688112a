package cli

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/herdhq/herd"
)

func (a *app) flagsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "flags", Short: "List, evaluate and override feature flags", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usagef("flags needs a subcommand: list, eval or set")
		}}
	cmd.AddCommand(a.flagsListCmd(), a.flagsEvalCmd(), a.flagsSetCmd())
	return cmd
}

// flagResult is one evaluation as herd flags eval --json and herd flags
// list --tenant --json print it.
type flagResult struct {
	Flag    string          `json:"flag"`
	Tenant  string          `json:"tenant"`
	Enabled bool            `json:"enabled"`
	Reason  herd.FlagReason `json:"reason"`
	Detail  string          `json:"detail"`
}

func toFlagResult(r herd.FlagResult) flagResult {
	return flagResult{Flag: r.Flag, Tenant: r.Tenant, Enabled: r.Enabled, Reason: r.Reason, Detail: r.Detail()}
}

func (a *app) flagsListCmd() *cobra.Command {
	var (
		tenant string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "list [--tenant CODE]",
		Short: "List the flags and their rules, or with --tenant each flag's answer for that tenant",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return a.withFleet(ctx, herd.Options{}, func(f *herd.Fleet) error {
				if tenant != "" {
					results, err := f.EvaluateFlags(ctx, tenant)
					if err != nil {
						return err
					}
					if asJSON {
						out := make([]flagResult, len(results))
						for i, r := range results {
							out[i] = toFlagResult(r)
						}
						return writeJSON(a.out, out)
					}
					renderFlagResults(a.out, results)
					return nil
				}
				rules, err := f.FlagRules(ctx)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(a.out, rules)
				}
				renderFlagRules(a.out, rules)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "evaluate every flag for this tenant")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func renderFlagRules(w io.Writer, rules []herd.FlagRules) {
	if len(rules) == 0 {
		fmt.Fprintln(w, "herd.yaml declares no flags")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FLAG\tREQUIRES\tTIERS\tBETA\tROLLOUT\tOVERRIDES\tDESCRIPTION")
	for _, r := range rules {
		codes := make([]string, 0, len(r.Overrides))
		for code, o := range r.Overrides {
			codes = append(codes, code+"="+o)
		}
		sort.Strings(codes)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s%%\t%s\t%s\n", r.Name, r.RequiredVersion, listOrAll(r.EnabledFor, "all"),
			listOrAll(r.BetaTenants, "-"), strconv.FormatFloat(r.RolloutPercentage, 'f', -1, 64), listOrAll(codes, "-"), r.Description)
	}
	tw.Flush()
}

func listOrAll(items []string, empty string) string {
	if len(items) == 0 {
		return empty
	}
	return strings.Join(items, ",")
}

func renderFlagResults(w io.Writer, results []herd.FlagResult) {
	if len(results) == 0 {
		fmt.Fprintln(w, "herd.yaml declares no flags")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FLAG\tSTATE\tREASON\tDETAIL")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Flag, onOff(r.Enabled), r.Reason, r.Detail())
	}
	tw.Flush()
}

func onOff(enabled bool) string {
	if enabled {
		return "on"
	}
	return "off"
}

func (a *app) flagsEvalCmd() *cobra.Command {
	var (
		tenant string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "eval FLAG --tenant CODE",
		Short: "Say whether a tenant may use a flag's feature, and why",
		Long: `eval answers as the application would be answered: from the flag's rules in
herd.yaml, the tenant's tier and schema version in the control database and
the tenant's override. It prints on or off, herd's reason and the detail.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if tenant == "" {
				return usagef("flags eval needs --tenant CODE")
			}
			ctx := cmd.Context()
			return a.withFleet(ctx, herd.Options{}, func(f *herd.Fleet) error {
				r, err := f.EvaluateFlag(ctx, args[0], tenant)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(a.out, toFlagResult(r))
				}
				fmt.Fprintf(a.out, "%s (%s): %s\n", onOff(r.Enabled), r.Reason, r.Detail())
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "tenant code (required)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) flagsSetCmd() *cobra.Command {
	var tenant string
	cmd := &cobra.Command{
		Use:   "set FLAG --tenant CODE on|off|default",
		Short: "Override a flag for one tenant (default removes the override)",
		Long: `set turns a flag on or off for one tenant whatever its tier, beta list and
rollout percentage say, or with default removes the override. The version
gate still applies: no override turns a feature on for a tenant whose schema
lacks what it needs. The change is written to the audit log.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if tenant == "" {
				return usagef("flags set needs --tenant CODE")
			}
			var o herd.FlagOverride
			switch args[1] {
			case "on":
				o = herd.FlagOverrideOn
			case "off":
				o = herd.FlagOverrideOff
			case "default":
				o = herd.FlagOverrideNone
			default:
				return usagef("flags set: want on, off or default, got %q", args[1])
			}
			ctx := cmd.Context()
			return a.withFleet(ctx, herd.Options{}, func(f *herd.Fleet) error {
				if err := f.SetFlagOverride(ctx, args[0], tenant, o); err != nil {
					return err
				}
				r, err := f.EvaluateFlag(ctx, args[0], tenant)
				if err != nil {
					return err
				}
				if o == herd.FlagOverrideNone {
					fmt.Fprintf(a.out, "removed the override of %s for tenant %s\n", args[0], tenant)
				} else {
					fmt.Fprintf(a.out, "overrode %s for tenant %s: %s\n", args[0], tenant, o)
				}
				fmt.Fprintf(a.out, "now %s (%s): %s\n", onOff(r.Enabled), r.Reason, r.Detail())
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "tenant code (required)")
	return cmd
}
