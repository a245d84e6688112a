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
	"github.com/herdhq/herd/config"
)

func (a *app) snapshotCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "snapshot", Short: "List and drop snapshots (rollback points)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usagef("herd snapshot needs a subcommand: list or drop")
		}}
	cmd.AddCommand(a.snapshotListCmd(), a.snapshotDropCmd())
	return cmd
}

func (a *app) snapshotListCmd() *cobra.Command {
	var (
		tenant string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "list [--tenant CODE] [--json]",
		Short: "List the kept snapshots, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return show(a, cmd, asJSON, view[[]herd.Snapshot]{
				read: func(f *herd.Fleet, ctx context.Context) ([]herd.Snapshot, error) {
					return f.Snapshots(ctx, tenant)
				},
				json:   func(sns []herd.Snapshot) any { return nonNil(sns) },
				render: renderSnapshots,
			})
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "only this tenant's snapshots")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func renderSnapshots(w io.Writer, sns []herd.Snapshot) {
	if len(sns) == 0 {
		fmt.Fprintln(w, "no snapshots")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTENANT\tVERSION\tTAKEN (UTC)\tSNAPSHOT\tSERVER\tROLLOUT\tRESTORED (UTC)")
	for _, sn := range sns {
		rollout, restored := "-", "-"
		if sn.Rollout != 0 {
			rollout = strconv.FormatInt(sn.Rollout, 10)
		}
		if sn.RestoredAt != nil {
			restored = sn.RestoredAt.UTC().Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", sn.ID, sn.Tenant, orNone(sn.Version),
			sn.CreatedAt.UTC().Format(time.DateTime), sn.Name, sn.Server, rollout, restored)
	}
	tw.Flush()
}

func (a *app) snapshotDropCmd() *cobra.Command {
	var (
		olderThan, tenant string
		expired, yes      bool
	)
	cmd := &cobra.Command{
		Use:   "drop (ID | --older-than AGE | --expired) [--tenant CODE] [--yes]",
		Short: "Drop snapshots: one by id, or those older than an age, or those herd.yaml's retention no longer keeps",
		Long: `drop removes snapshots from their server (the copied database, schema or
file) and from the control database, and records each in the audit log.

  herd snapshot drop 12                      drop snapshot 12 at once
  herd snapshot drop --older-than 30d        print what would be dropped; change nothing
  herd snapshot drop --older-than 30d --yes  drop them
  herd snapshot drop --expired --yes         apply rollout.snapshots.retain of herd.yaml

An age is a number of days (30d) or a duration (12h, 1h30m). --tenant limits
--older-than and --expired to one tenant. A dropped snapshot can no longer
take its tenant back: herd rollback then needs down migrations.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n := len(args)
			if olderThan != "" {
				n++
			}
			if expired {
				n++
			}
			if n != 1 {
				return usagef("herd snapshot drop needs one of ID, --older-than AGE or --expired")
			}
			if len(args) == 1 {
				if tenant != "" || yes {
					return usagef("herd snapshot drop ID drops one snapshot at once: --tenant and --yes are for --older-than and --expired")
				}
				id, err := strconv.ParseInt(args[0], 10, 64)
				if err != nil || id < 1 {
					return usagef("herd snapshot drop: snapshot id %q is not a positive whole number (see herd snapshot list)", args[0])
				}
				return a.dropSnapshot(cmd.Context(), id)
			}
			var age time.Duration
			if olderThan != "" {
				var err error
				if age, err = config.ParseAge(olderThan); err != nil {
					return usagef("--older-than: %v", err)
				}
				if age == 0 {
					return usagef("--older-than: must be above 0, got %s", olderThan)
				}
			}
			return a.withFleet(cmd.Context(), herd.Options{}, func(f *herd.Fleet) error {
				ctx := cmd.Context()
				var (
					sns    []herd.Snapshot
					reason string
					err    error
				)
				if expired {
					retain := f.SnapshotRetention()
					sns, err = f.ExpiredSnapshots(ctx, tenant, retain)
					reason = "retention " + retain.String()
				} else {
					sns, err = f.SnapshotsOlderThan(ctx, tenant, age)
					reason = "older than " + olderThan
				}
				if err != nil {
					return err
				}
				return a.dropSnapshots(ctx, f, sns, reason, yes)
			})
		},
	}
	cmd.Flags().StringVar(&olderThan, "older-than", "", "drop the snapshots taken longer ago than this age (30d, 12h)")
	cmd.Flags().BoolVar(&expired, "expired", false, "drop the snapshots that herd.yaml's retention (rollout.snapshots.retain) no longer keeps")
	cmd.Flags().StringVar(&tenant, "tenant", "", "only this tenant's snapshots")
	cmd.Flags().BoolVar(&yes, "yes", false, "drop them; without it, print what would be dropped and change nothing")
	return cmd
}

// dropSnapshot drops one snapshot by id.
func (a *app) dropSnapshot(ctx context.Context, id int64) error {
	return a.withFleet(ctx, herd.Options{}, func(f *herd.Fleet) error {
		sn, err := f.DropSnapshot(ctx, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.out, "dropped snapshot %d (%s of tenant %s at v%s)\n", sn.ID, sn.Name, sn.Tenant, sn.Version)
		return nil
	})
}

// dropSnapshots drops sns with yes, else prints them and changes nothing.
func (a *app) dropSnapshots(ctx context.Context, f *herd.Fleet, sns []herd.Snapshot, reason string, yes bool) error {
	switch {
	case len(sns) == 0:
		fmt.Fprintf(a.out, "no snapshot to drop (%s)\n", reason)
		return nil
	case !yes:
		fmt.Fprintf(a.out, "would drop %d snapshot(s) (%s); run again with --yes to drop them:\n", len(sns), reason)
		renderSnapshots(a.out, sns)
		return nil
	}
	n, err := f.DropSnapshots(ctx, sns, reason)
	for _, sn := range sns[:n] {
		fmt.Fprintf(a.out, "dropped snapshot %d (%s of tenant %s at v%s)\n", sn.ID, sn.Name, sn.Tenant, sn.Version)
	}
	if err != nil {
		return fmt.Errorf("dropped %d of %d snapshot(s): %w", n, len(sns), err)
	}
	fmt.Fprintf(a.out, "dropped %d snapshot(s) (%s)\n", n, reason)
	return nil
}
