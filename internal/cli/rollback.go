package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/rollout"
)

func (a *app) rollbackCmd() *cobra.Command {
	var (
		to, tenant   string
		rolloutID    int64
		all          bool
		fromSnapshot bool
	)
	cmd := &cobra.Command{
		Use:   "rollback --to VERSION (--tenant CODE | --rollout ID | --all) [--from-snapshot]",
		Short: "Take tenants back to a version: down migrations, else their snapshot, else refuse",
		Long: `Emergency rollback. Each tenant goes back by its down migrations; where a step has
no down migration, the tenant's newest snapshot (rollback point) at that version is
restored and verified instead; with neither, the tenant is refused. A restore
discards the writes made since the snapshot.

A down migration puts back what it knows: values that the tenant's own triggers
(or ON UPDATE CURRENT_TIMESTAMP columns) rewrote while the up migration updated
rows are not restored. rollback says so when it takes the down path through
such an update; --from-snapshot restores the tenant's newest snapshot at
--to instead, whether or not down migrations exist.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n := 0
			for _, set := range []bool{tenant != "", rolloutID != 0, all} {
				if set {
					n++
				}
			}
			if n != 1 || to == "" {
				return usagef("rollback needs --to VERSION and one of --tenant CODE, --rollout ID or --all")
			}
			return a.withFleet(cmd.Context(), herd.Options{}, func(f *herd.Fleet) error {
				codes, err := rollbackTargets(cmd.Context(), f, tenant, rolloutID)
				if err != nil {
					return err
				}
				var errs []error
				for _, code := range codes {
					if fromSnapshot {
						how, err := f.RestoreSnapshot(cmd.Context(), code, to)
						errs = append(errs, a.rolledBack(code, to, how, err))
						continue
					}
					// Read before the down migrations run: they may drop
					// the tables.
					rewrites, rerr := f.Rewrites(cmd.Context(), code, to)
					how, err := f.Restore(cmd.Context(), code, to)
					errs = append(errs, a.rolledBack(code, to, how, err))
					if err != nil || how != herd.DownMigrations {
						continue
					}
					if rerr != nil {
						fmt.Fprintf(a.out, "  note: could not check for tables whose triggers rewrite rows: %v\n", rerr)
					}
					for _, r := range rewrites {
						fmt.Fprintf(a.out, "  note: %s (%s:%d) updated rows of %s, which has triggers or ON UPDATE columns: "+
							"its down migration cannot restore values they rewrote; "+
							"herd rollback --to %s --tenant %s --from-snapshot restores its snapshot at %s instead, "+
							"losing the writes made since\n", r.Migration, r.File, r.Line, r.Table, to, code, to)
					}
				}
				return errors.Join(errs...)
			})
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "version to go back to")
	cmd.Flags().StringVar(&tenant, "tenant", "", "one tenant")
	cmd.Flags().Int64Var(&rolloutID, "rollout", 0, "every tenant a rollout migrated")
	cmd.Flags().BoolVar(&all, "all", false, "every tenant")
	cmd.Flags().BoolVar(&fromSnapshot, "from-snapshot", false, "restore each tenant's newest snapshot at --to, even where down migrations exist")
	return cmd
}

// rolledBack prints one tenant's outcome and returns its error.
func (a *app) rolledBack(code, to, how string, err error) error {
	if err != nil {
		fmt.Fprintf(a.out, "tenant %s: FAILED: %v\n", code, err)
		return err
	}
	fmt.Fprintf(a.out, "tenant %s: at %s (%s)\n", code, to, how)
	return nil
}

// rollbackTargets lists the tenants a rollback selector names.
func rollbackTargets(ctx context.Context, f *herd.Fleet, tenant string, rolloutID int64) ([]string, error) {
	switch {
	case tenant != "":
		if err := herd.ValidateTenantCode(tenant); err != nil {
			return nil, err
		}
		if _, err := f.Tenant(ctx, tenant); err != nil {
			return nil, err
		}
		return []string{tenant}, nil
	case rolloutID != 0:
		if _, err := f.Rollouts(rollout.Options{}).Newest(ctx, rolloutID); err != nil {
			return nil, err
		}
		items, err := f.Control().Items(ctx, rolloutID)
		if err != nil {
			return nil, err
		}
		var codes []string
		for _, it := range items {
			if it.State != control.ItemSkipped && it.State != control.ItemPending {
				codes = append(codes, it.Tenant)
			}
		}
		return codes, nil
	}
	ts, err := f.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	codes := make([]string, len(ts))
	for i, t := range ts {
		codes[i] = t.Code
	}
	return codes, nil
}
