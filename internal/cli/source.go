package cli

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/config"
)

func (a *app) initCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "init [--dir D]",
		Short: "Write a commented herd.yaml and empty migrations folders",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := herd.Init(dir); err != nil {
				return err
			}
			fmt.Fprintf(a.out, "wrote %s and %s\n", filepath.Join(dir, "herd.yaml"), filepath.Join(dir, "migrations", "{system,tenant}"))
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", ".", "folder to initialise")
	return cmd
}

func (a *app) newCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "new (system|tenant) VERSION NAME",
		Short: "Scaffold the next migration's up and down files",
		Args:  cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			t := herd.Target(args[0])
			if t != herd.SystemDatabase && t != herd.TenantDatabase {
				return usagef("new: first argument must be system or tenant, not %q", args[0])
			}
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			paths, err := herd.NewMigration(cfg, a.env.Dialects, t, args[1], args[2])
			for _, path := range paths {
				fmt.Fprintf(a.out, "created %s\n", path)
			}
			return err
		},
	}
}

func (a *app) lintCmd() *cobra.Command {
	var strict, rehearse, registry bool
	cmd := &cobra.Command{
		Use:   "lint",
		Short: "Check herd.yaml, every migration and the release matrix, reporting every problem with its file and line",
		Long: `Check herd.yaml and every migration, reporting every problem with its file and line.

Beyond what loading checks, lint checks the releases and flags. Errors, which
a later command would certainly trip on, exit 2:
  - a release marked breaking_changes without a rollback_point;
  - an up migration that drops or renames a table or column (DROP TABLE,
    ALTER TABLE ... DROP [COLUMN], RENAME TABLE, ALTER TABLE ... RENAME) in
    a release not marked breaking_changes;
  - a release whose system: is not a system schema version;
  - a migration without a down file that going back to a rollback_point runs;
  - a tenant migration statement that leaves the tenant's database or schema
    (USE, SET search_path, set_config('search_path', ...), CREATE or DROP
    DATABASE or SCHEMA, ATTACH; with tenancy: schema, a CREATE of a public.
    name), unless the file opens with -- herd:allow RULE (switch-database,
    create-database, drop-database, attach-database, outside-schema).
Warnings, which may be meant, are printed as FILE:LINE: warning: ... and
exit 0:
  - a release that omits system: and has no system schema of its own
    version (it goes with the highest at or below it);
  - a migration without a down file in a release that is not breaking, or
    whose version folder has down files for its other migrations, or that
    has a down file for some engines only;
  - a flag whose required_version no release's tenant schema reaches.
Lock warnings, printed as FILE:LINE: warning: RULE: ... (exit 0; with
--strict they are errors, exit 2), are statements of up migrations that
hold a lock the application queues behind, or rewrite a table, on a table
the migration did not create, each with its rule and the safe alternative
(docs/lint.md lists them): on PostgreSQL CREATE INDEX without
CONCURRENTLY, ALTER COLUMN ... TYPE, ADD COLUMN with a volatile default,
SET NOT NULL without a validated CHECK, ADD FOREIGN KEY or CHECK without
NOT VALID; on MySQL and MariaDB an ALTER TABLE that cannot keep writes
going (ALGORITHM=INPLACE|INSTANT, LOCK=NONE); everywhere an UPDATE or
DELETE without WHERE outside a herd:chunked migration. -- herd:allow RULE before the statement (or at the
top of the file, for all of its statements) allows it.

With --rehearse, lint then runs every tenant migration, from empty to the latest
version, on a scratch database (herd_rehearse_...) that it creates on the first
server of each engine herd.yaml uses and drops afterwards: a statement the engine
refuses, or a chunked migration whose key cannot be walked (missing, not unique,
nullable), is an error at its file and line (exit 2). No tenant is touched.

With --registry, lint also reads the control database's tenant registry, without
creating or migrating anything (it must exist, at a control schema herd serve can
read): a tenant under customisations.tenants that is not registered (removed, or
its code mistyped), whose rules therefore allow nothing, is an error at its
herd.yaml line (exit 2).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			rep, err := herd.Lint(cfg, a.env.Dialects, &herd.LintOptions{Strict: strict})
			for _, w := range rep.SharedHomes {
				fmt.Fprintf(a.out, "warning: %s: %s\n", cfg.Path, w)
			}
			for _, w := range append(rep.Warnings, rep.Locks...) {
				w.Msg = "warning: " + w.Msg
				fmt.Fprintln(a.out, w)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.out, "ok: %d system and %d tenant migrations", rep.SystemMigrations, rep.TenantMigrations)
			if n := len(rep.Warnings) + len(rep.Locks); n > 0 {
				fmt.Fprintf(a.out, ", %d %s", n, map[bool]string{true: "warning", false: "warnings"}[n == 1])
			}
			fmt.Fprintln(a.out)
			if registry {
				if err := a.lintRegistry(cmd.Context(), cfg); err != nil {
					return err
				}
			}
			if rehearse {
				return a.rehearse(cmd.Context(), cfg)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&strict, "strict", false, "lock warnings are errors (exit 2)")
	cmd.Flags().BoolVar(&registry, "registry", false, "also check customisations.tenants against the control database's registry, read only")
	cmd.Flags().BoolVar(&rehearse, "rehearse", false, "also run every tenant migration on a scratch database of each engine's first server, then drop it")
	return cmd
}

// lintRegistry runs lint --registry's check; each tenant of
// customisations.tenants that is not registered is in its input error, at
// its line.
func (a *app) lintRegistry(ctx context.Context, cfg *config.Config) error {
	n, err := herd.LintRegistry(ctx, cfg, a.env.Dialects)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.out, "registry: the %d tenants of customisations.tenants are registered\n", n)
	return nil
}

// rehearse runs lint --rehearse's rehearsal and prints what ran on each
// engine; a migration that failed is in the error, at its file and line.
func (a *app) rehearse(ctx context.Context, cfg *config.Config) error {
	rs, err := herd.Rehearse(ctx, cfg, a.env.Dialects)
	for _, r := range rs {
		if r.Problem == nil {
			fmt.Fprintf(a.out, "rehearsed on %s (server %s): %d tenant migrations ran\n", r.Engine, r.Server, r.Applied)
		}
	}
	return err
}
