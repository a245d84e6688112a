package herd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/internal/problem"
	"github.com/herdhq/herd/source"
)

// The project's files: a new herd.yaml, a new migration's files and the
// checks of herd lint. None of them touches a database.

// Problem is one defect at a file and line.
type Problem = problem.Problem

// Init writes a commented herd.yaml and empty migrations folders (system
// and tenant) into dir. A herd.yaml already there is an input error, and
// nothing is written.
func Init(dir string) error {
	path := filepath.Join(dir, "herd.yaml")
	if _, err := os.Stat(path); err == nil {
		return &InputError{Err: fmt.Errorf("%s already exists", path)}
	}
	for _, t := range []source.Target{source.System, source.Tenant} {
		if err := os.MkdirAll(filepath.Join(dir, "migrations", string(t)), 0o755); err != nil {
			return fmt.Errorf("init: %w", err)
		}
	}
	if err := os.WriteFile(path, []byte(config.Template()), 0o644); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	return nil
}

// migrationName is what a new migration's name may be.
var migrationName = regexp.MustCompile(`^[a-z0-9_]+$`)

// NewMigration scaffolds the next migration of kind t in version's folder
// of cfg's migrations: an up and a down file, numbered after the last
// migration of that kind. It returns the paths it wrote, up file first. A
// version that does not parse or is older than the latest migration's, a
// name other than lower-case letters, digits and underscores, or a source
// that does not load is an input error, and nothing is written. dialects
// read the scripts of the engines cfg uses, as Open's do.
func NewMigration(cfg *config.Config, dialects []Dialect, t Target, version, name string) ([]string, error) {
	v, err := source.ParseVersion(version)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	if !migrationName.MatchString(name) {
		return nil, &InputError{Err: fmt.Errorf("migration name %q: use lower-case letters, digits and underscores", name)}
	}
	src, err := LoadSource(cfg, dialects, Options{})
	if err != nil {
		return nil, err
	}
	seq := 1
	if ms := src.Migrations(t); len(ms) > 0 {
		last := ms[len(ms)-1]
		if v.LessThan(last.Version) {
			return nil, &InputError{Err: fmt.Errorf("v%s is older than %s, the latest %s migration", v, last.ID(), t)}
		}
		seq = last.Seq + 1
	}
	dir := filepath.Join(cfg.Migrations, string(t), "v"+v.String())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("new migration: %w", err)
	}
	stem := filepath.Join(dir, fmt.Sprintf("%03d_%s", seq, name))
	files := []struct{ path, body string }{
		{stem + ".up.sql", fmt.Sprintf("-- %s: describe the change.\n-- herd:kind schema\n\n", name)},
		{stem + ".down.sql", fmt.Sprintf("-- Undo %s; statement 1 undoes the up file's last statement.\n\n", name)},
	}
	paths := make([]string, 0, len(files))
	for _, file := range files {
		if err := os.WriteFile(file.path, []byte(file.body), 0o644); err != nil {
			return paths, fmt.Errorf("new migration: %w", err)
		}
		paths = append(paths, file.path)
	}
	return paths, nil
}

// LintReport is what Lint finds that is not an error.
type LintReport struct {
	// SharedHomes are warnings, one for each pair of herd.yaml's
	// environments whose tenants would share databases (see
	// config.Config.SharedTenantHomes).
	SharedHomes []string
	// Warnings may be meant: see release.Lint.
	Warnings []Problem
	// Locks are statements that hold a lock the application queues
	// behind, or rewrite a table, each with its rule's ID and the safe
	// alternative (see release.Lint); empty when LintOptions.Strict made
	// them errors.
	Locks []Problem
	// SystemMigrations and TenantMigrations count the source's
	// migrations.
	SystemMigrations, TenantMigrations int
}

// LintOptions tunes Lint. A nil *LintOptions means the defaults.
type LintOptions struct {
	// Strict makes the lock findings (LintReport.Locks) errors.
	Strict bool
}

// Lint checks cfg and its migration source, and the releases and flags
// against them, without touching a database. Every error it finds, with
// its file and line, is in the one input error it returns (a source that
// does not load has its releases still checked, without its migrations);
// the report holds the warnings either way. dialects read the scripts of
// the engines cfg uses, as Open's do.
func Lint(cfg *config.Config, dialects []Dialect, opts *LintOptions) (LintReport, error) {
	rep := LintReport{SharedHomes: cfg.SharedTenantHomes()}
	src, err := LoadSource(cfg, dialects, Options{})
	var bad *source.Error
	if err != nil && !errors.As(err, &bad) {
		return rep, err
	}
	found := lintReleases(cfg, src)
	rep.Warnings = found.Warnings
	problems := found.Errors
	if opts != nil && opts.Strict {
		problems = append(problems, found.Locks...)
	} else {
		rep.Locks = found.Locks
	}
	if bad != nil {
		problems = append(problems, bad.Problems...)
	}
	if n := len(problems); n > 0 {
		noun := "problems"
		if n == 1 {
			noun = "problem"
		}
		return rep, &InputError{Err: fmt.Errorf("%d %s:\n%w", n, noun, &source.Error{Problems: problems})}
	}
	rep.SystemMigrations, rep.TenantMigrations = len(src.Migrations(source.System)), len(src.Migrations(source.Tenant))
	return rep, nil
}
