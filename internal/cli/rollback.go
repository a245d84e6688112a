package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/herdhq/herd"
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
			req := herd.RollbackRequest{To: to, Tenant: tenant, Rollout: rolloutID, FromSnapshot: fromSnapshot}
			return a.withFleet(cmd.Context(), herd.Options{}, func(f *herd.Fleet) error {
				return f.RollbackTenants(cmd.Context(), req, a.rolledBack(to))
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

// rolledBack returns what prints each tenant's outcome of a rollback to
// version to.
func (a *app) rolledBack(to string) func(herd.RolledBack) {
	return func(r herd.RolledBack) {
		if r.Err != nil {
			fmt.Fprintf(a.out, "tenant %s: FAILED: %v\n", r.Tenant, r.Err)
			return
		}
		fmt.Fprintf(a.out, "tenant %s: at %s (%s)\n", r.Tenant, to, r.How)
		if r.RewritesErr != nil {
			fmt.Fprintf(a.out, "  note: could not check for tables whose triggers rewrite rows: %v\n", r.RewritesErr)
		}
		for _, rw := range r.Rewrites {
			fmt.Fprintf(a.out, "  note: %s (%s:%d) updated rows of %s, which has triggers or ON UPDATE columns: "+
				"its down migration cannot restore values they rewrote; "+
				"herd rollback --to %s --tenant %s --from-snapshot restores its snapshot at %s instead, "+
				"losing the writes made since\n", rw.Migration, rw.File, rw.Line, rw.Table, to, r.Tenant, to)
		}
	}
}
