package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/herdhq/herd"
)

func (a *app) tenantCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "tenant", Short: "Add, import, discover, list, show and remove tenants", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usagef("tenant needs a subcommand: add, import, discover, set, list, show or remove")
		}}
	cmd.AddCommand(a.tenantAddCmd(), a.tenantImportCmd(), a.tenantDiscoverCmd(), a.tenantSetCmd(), a.tenantListCmd(), a.tenantShowCmd(), a.tenantRemoveCmd())
	return cmd
}

func (a *app) tenantAddCmd() *cobra.Command {
	var spec herd.TenantSpec
	cmd := &cobra.Command{
		Use:   "add CODE",
		Short: "Register a tenant and create its database",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec.Code = args[0]
			if err := herd.ValidateTenantCode(spec.Code); err != nil {
				return err
			}
			return a.withFleet(cmd.Context(), herd.Options{}, func(f *herd.Fleet) error {
				t, err := f.AddTenant(cmd.Context(), spec)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.out, "added tenant %s (database %s on server %s)\n", t.Code, t.Database, t.Server)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&spec.Tier, "tier", "", "tier, e.g. standard, premium, enterprise (default standard)")
	cmd.Flags().StringVar(&spec.Server, "server", "", "server to put the database on (default: the default server)")
	cmd.Flags().StringVar(&spec.Name, "name", "", "display name (default: the code)")
	cmd.Flags().StringSliceVar(&spec.Tags, "tag", nil, "tag, repeatable")
	cmd.Flags().StringSliceVar(&spec.Features, "features", nil, "enabled features, comma-separated (each declared by a release)")
	cmd.Flags().BoolVar(&spec.TakeOver, "take-over", false, "adopt an existing database that another environment's fleet owns, moving it to this one (audited)")
	return cmd
}

func (a *app) tenantSetCmd() *cobra.Command {
	var (
		name, tier     string
		tags, features []string
	)
	cmd := &cobra.Command{
		Use:   "set CODE [--features F1,F2] [--tier T] [--name N] [--tag K=V,...]",
		Short: "Change a tenant's enabled features, tier, name or tags",
		Long: `set changes a tenant's registry entry. --features replaces the enabled
features (--features "" clears them); a rollout skips a tenant whose enabled
features are not all in the target release, and plan and migrate refuse it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := herd.ValidateTenantCode(args[0]); err != nil {
				return err
			}
			var change herd.TenantChange
			flags := cmd.Flags()
			if flags.Changed("name") {
				change.Name = &name
			}
			if flags.Changed("tier") {
				change.Tier = &tier
			}
			if flags.Changed("tag") {
				change.Tags = &tags
			}
			if flags.Changed("features") {
				change.Features = &features
			}
			return a.withFleet(cmd.Context(), herd.Options{}, func(f *herd.Fleet) error {
				t, err := f.SetTenant(cmd.Context(), args[0], change)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.out, "tenant %s: tier %s, features [%s], tags [%s]\n", t.Code, t.Tier,
					strings.Join(t.Features, ", "), strings.Join(t.Tags, ", "))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "display name")
	cmd.Flags().StringVar(&tier, "tier", "", "tier, e.g. standard, premium, enterprise")
	cmd.Flags().StringSliceVar(&tags, "tag", nil, "tags, replacing the current ones")
	cmd.Flags().StringSliceVar(&features, "features", nil, "enabled features, comma-separated, replacing the current ones")
	return cmd
}

func (a *app) tenantListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the registered tenants",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return show(a, cmd, asJSON, view[[]herd.Tenant]{
				read:   (*herd.Fleet).Tenants,
				json:   func(ts []herd.Tenant) any { return nonNil(ts) },
				render: renderTenants,
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func renderTenants(w io.Writer, ts []herd.Tenant) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tNAME\tTIER\tSERVER\tDATABASE")
	for _, t := range ts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Code, t.Name, t.Tier, t.Server, t.Database)
	}
	tw.Flush()
}

func (a *app) tenantShowCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show CODE",
		Short: "Show a tenant, its version and its migration history",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return show(a, cmd, asJSON, view[herd.TenantDetail]{
				read: func(f *herd.Fleet, ctx context.Context) (herd.TenantDetail, error) {
					return f.TenantDetail(ctx, args[0])
				},
				render: renderTenant,
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func renderTenant(w io.Writer, d herd.TenantDetail) {
	fmt.Fprintf(w, "tenant    %s (%s)\ntier      %s\ndatabase  %s on server %s\n", d.Code, d.Name, d.Tier, d.Database, d.Server)
	if len(d.Tags) > 0 {
		fmt.Fprintf(w, "tags      %s\n", strings.Join(d.Tags, ", "))
	}
	if len(d.Features) > 0 {
		fmt.Fprintf(w, "features  %s\n", strings.Join(d.Features, ", "))
	}
	renderSize(w, d)
	if v := d.Version; v != nil {
		fmt.Fprintf(w, "version   %s (%s)\n", orNone(v.CurrentVersion), v.Status)
		if v.Error != "" {
			fmt.Fprintf(w, "error     %s\n", v.Error)
		}
	}
	if d.Shadow != nil {
		fmt.Fprintf(w, "shadow    %s\n", describeShadow(*d.Shadow))
	}
	for _, sw := range d.Switches {
		how := ""
		if sw.Renamed {
			how = ", by rename"
		}
		fmt.Fprintf(w, "switch    %d: %s (v%s) -> %s (v%s) at %s, %s%s\n", sw.ID, sw.OldDatabase, sw.FromVersion,
			sw.NewDatabase, sw.ToVersion, sw.SwitchedAt.Format(stamp), sw.State, how)
	}
	if d.Drift == nil {
		fmt.Fprintf(w, "drift     never checked (herd drift --tenant %s)\n", d.Code)
	} else {
		fmt.Fprint(w, "drift     ")
		renderDrift(w, *d.Drift, true)
	}
	if len(d.History) == 0 {
		return
	}
	fmt.Fprintln(w, "\nhistory:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, h := range d.History {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%dms\t%s\n", h.ExecutedAt.Format("2006-01-02 15:04:05"), h.Migration, h.Direction, h.Status, h.ExecutionMS, h.Error)
	}
	tw.Flush()
}

// stamp is how tenant show and rollout status print a time.
const stamp = "2006-01-02 15:04:05"

// describeShadow says where a shadow migration is in one line: "v1.0.0 ->
// v1.1.0: catchup since 2026-12-07 03:01:02, 12 changes left".
func describeShadow(run herd.ShadowRun) string {
	path := versionOrNone(run.FromVersion) + " -> " + versionOrNone(run.ToVersion)
	switch run.State {
	case herd.ShadowRunning:
		out := fmt.Sprintf("%s: %s since %s", path, run.Phase, run.PhaseStartedAt.Format(stamp))
		if run.Progress != nil {
			out += ", " + run.Progress.String()
		}
		return out
	case herd.ShadowInterrupted:
		return fmt.Sprintf("%s: interrupted in %s (its herd stopped renewing the record, which lapsed at %s): see herd repair --tenant %s",
			path, run.Phase, run.AliveUntil.Format(stamp), run.Tenant)
	}
	out := fmt.Sprintf("%s: %s", path, run.State)
	if run.State == herd.ShadowAbandoned {
		out += " in " + string(run.Phase)
	}
	if run.EndedAt != nil {
		out += " at " + run.EndedAt.Format(stamp)
	}
	if run.Error != "" {
		out += ": " + run.Error
	}
	return out
}

// versionOrNone is "v" and version, or "none".
func versionOrNone(version string) string {
	if version == "" {
		return "none"
	}
	return "v" + version
}

func (a *app) tenantRemoveCmd() *cobra.Command {
	var drop bool
	cmd := &cobra.Command{
		Use:   "remove CODE",
		Short: "Unregister a tenant (its database and snapshots stay unless --drop-database)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withFleet(cmd.Context(), herd.Options{}, func(f *herd.Fleet) error {
				if err := f.RemoveTenant(cmd.Context(), args[0], drop); err != nil {
					return err
				}
				fmt.Fprintf(a.out, "removed tenant %s\n", args[0])
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&drop, "drop-database", false, "also drop the tenant's database and its snapshots, with all their data")
	return cmd
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
