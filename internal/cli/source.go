package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/spf13/cobra"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/source"
)

func (a *app) initCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "init [--dir D]",
		Short: "Write a commented herd.yaml and empty migrations folders",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := filepath.Join(dir, "herd.yaml")
			if _, err := os.Stat(path); err == nil {
				return &herd.InputError{Err: fmt.Errorf("%s already exists", path)}
			}
			for _, t := range []source.Target{source.System, source.Tenant} {
				if err := os.MkdirAll(filepath.Join(dir, "migrations", string(t)), 0o755); err != nil {
					return err
				}
			}
			if err := os.WriteFile(path, []byte(config.Template()), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(a.out, "wrote %s and %s\n", path, filepath.Join(dir, "migrations", "{system,tenant}"))
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", ".", "folder to initialise")
	return cmd
}

var migrationName = regexp.MustCompile(`^[a-z0-9_]+$`)

func (a *app) newCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "new (system|tenant) VERSION NAME",
		Short: "Scaffold the next migration's up and down files",
		Args:  cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			t := source.Target(args[0])
			if t != source.System && t != source.Tenant {
				return usagef("new: first argument must be system or tenant, not %q", args[0])
			}
			v, err := source.ParseVersion(args[1])
			if err != nil {
				return &herd.InputError{Err: err}
			}
			if !migrationName.MatchString(args[2]) {
				return &herd.InputError{Err: fmt.Errorf("migration name %q: use lower-case letters, digits and underscores", args[2])}
			}
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			src, err := herd.LoadSource(cfg, herd.Options{})
			if err != nil {
				return err
			}
			seq := 1
			if ms := src.Migrations(t); len(ms) > 0 {
				last := ms[len(ms)-1]
				if v.LessThan(last.Version) {
					return &herd.InputError{Err: fmt.Errorf("v%s is older than %s, the latest %s migration", v, last.ID(), t)}
				}
				seq = last.Seq + 1
			}
			dir := filepath.Join(cfg.Migrations, string(t), "v"+v.String())
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			stem := filepath.Join(dir, fmt.Sprintf("%03d_%s", seq, args[2]))
			files := map[string]string{
				stem + ".up.sql":   fmt.Sprintf("-- %s: describe the change.\n-- herd:kind schema\n\n", args[2]),
				stem + ".down.sql": fmt.Sprintf("-- Undo %s; statement 1 undoes the up file's last statement.\n\n", args[2]),
			}
			for path, body := range files {
				if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
					return err
				}
				fmt.Fprintf(a.out, "created %s\n", path)
			}
			return nil
		},
	}
}

func (a *app) lintCmd() *cobra.Command {
	return &cobra.Command{
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
  - a flag whose required_version no release's tenant schema reaches.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			for _, w := range cfg.SharedTenantHomes() {
				fmt.Fprintf(a.out, "warning: %s: %s\n", cfg.Path, w)
			}
			// A source that does not load has problems of its own; the
			// releases are then still checked, without their migrations.
			src, err := herd.LoadSource(cfg, herd.Options{})
			var bad *source.Error
			if err != nil && !errors.As(err, &bad) {
				return err
			}
			found := herd.LintReleases(cfg, src)
			for _, w := range found.Warnings {
				w.Msg = "warning: " + w.Msg
				fmt.Fprintln(a.out, w)
			}
			problems := found.Errors
			if bad != nil {
				problems = append(problems, bad.Problems...)
			}
			if n := len(problems); n > 0 {
				noun := "problems"
				if n == 1 {
					noun = "problem"
				}
				return &herd.InputError{Err: fmt.Errorf("%d %s:\n%w", n, noun, &source.Error{Problems: problems})}
			}
			fmt.Fprintf(a.out, "ok: %d system and %d tenant migrations", len(src.Migrations(source.System)), len(src.Migrations(source.Tenant)))
			if n := len(found.Warnings); n > 0 {
				fmt.Fprintf(a.out, ", %d %s", n, map[bool]string{true: "warning", false: "warnings"}[n == 1])
			}
			fmt.Fprintln(a.out)
			return nil
		},
	}
}
