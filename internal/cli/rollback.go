package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/config"
)

func (a *app) rollbackCmd() *cobra.Command {
	var (
		to, tenant   string
		rolloutID    int64
		all          bool
		fromSnapshot bool
		discard      bool
	)
	cmd := &cobra.Command{
		Use:   "rollback --to VERSION (--tenant CODE | --rollout ID | --all) [--from-snapshot] [--discard-writes]",
		Short: "Take tenants back to a version: down migrations, else their snapshot, else refuse",
		Long: `Emergency rollback. Each tenant goes back by its down migrations; where a step has
no down migration, the tenant's newest snapshot (rollback point) at that version is
restored and verified instead; with neither, the tenant is refused. A restore
discards the writes made since the snapshot.

A down migration puts back what it knows: values that the tenant's own triggers
(or ON UPDATE CURRENT_TIMESTAMP columns) rewrote while the up migration updated
rows are not restored. rollback says so when it takes the down path through
such an update; --from-snapshot restores the tenant's newest snapshot at
--to instead, whether or not down migrations exist.

A tenant that a shadow migration (migrate --strategy shadow) switched from --to goes
back by switching to the database it left, at once. When its new database was
written since the switch, rollback says how many row changes would be lost and
refuses (exit 2) unless --discard-writes.`,
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
			req := herd.RollbackRequest{To: to, Tenant: tenant, Rollout: rolloutID, FromSnapshot: fromSnapshot, DiscardWrites: discard}
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
	cmd.Flags().BoolVar(&discard, "discard-writes", false, "switch a shadow-migrated tenant back although its new database was written since the switch")
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

func (a *app) cleanupCmd() *cobra.Command {
	var (
		olderThan string
		yes       bool
		asJSON    bool
	)
	cmd := &cobra.Command{
		Use:   "cleanup [--older-than AGE] [--yes] [--json]",
		Short: "Drop the databases shadow migrations left behind: with --yes, else list them",
		Long: `List the databases that shadow migrations (migrate --strategy shadow) made redundant
and that are older than --older-than (default herd.yaml's shadow.retain, 7d): the
database a tenant was switched from (its rollback point), or the one a tenant was
switched back from. With --yes, drop each, record it in the audit log, and stop
counting the writes of the tenant's database: it can no longer be switched back.
A database a tenant is on is never dropped.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withFleet(cmd.Context(), herd.Options{}, func(f *herd.Fleet) error {
				age := f.ShadowRetain()
				if olderThan != "" {
					var err error
					if age, err = config.ParseAge(olderThan); err != nil {
						return usagef("--older-than %q: %v", olderThan, err)
					}
				}
				cleanups, err := f.CleanupSwitches(cmd.Context(), age, yes)
				if asJSON {
					return errors.Join(writeJSON(a.out, nonNil(cleanups)), err)
				}
				for _, c := range cleanups {
					verb := "would drop"
					if c.Dropped {
						verb = "dropped"
					}
					fmt.Fprintf(a.out, "tenant %s: %s %s (switch %d, %s -> %s, v%s -> v%s, %s)\n", c.Switch.Tenant, verb, c.Database,
						c.Switch.ID, c.Switch.OldDatabase, c.Switch.NewDatabase, c.Switch.FromVersion, c.Switch.ToVersion, c.Switch.State)
				}
				if len(cleanups) == 0 {
					fmt.Fprintln(a.out, "nothing to clean up")
				} else if !yes {
					fmt.Fprintln(a.out, "--yes drops them")
				}
				return err
			})
		},
	}
	cmd.Flags().StringVar(&olderThan, "older-than", "", "only what is older than this age (30d, 12h; default shadow.retain)")
	cmd.Flags().BoolVar(&yes, "yes", false, "drop them")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
