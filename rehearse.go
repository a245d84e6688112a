package herd

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/drift"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/plan"
	"github.com/herdhq/herd/source"
)

// Rehearsal is what rehearsing the tenant migrations on one engine found.
type Rehearsal struct {
	// Engine is the engine's name and Server the herd.yaml server whose
	// server held the scratch database.
	Engine string `json:"engine"`
	Server string `json:"server"`
	// Applied counts the migrations that ran.
	Applied int `json:"applied"`
	// Problem is the migration that failed, at its file and line; nil
	// when every one ran.
	Problem *Problem `json:"problem,omitempty"`
	// reference is the latest version's schema on the engine, when every
	// migration ran.
	reference *drift.Schema
}

// Rehearse runs every tenant migration, from an empty database to the
// latest version, on a scratch database that it creates on the first
// server of each engine herd.yaml uses and drops afterwards, whatever
// happens. What fails there would fail on a tenant: a statement the engine
// refuses, a chunked migration whose key cannot be walked (no such column,
// not unique, nullable). It touches no tenant and no control database.
// A migration that fails on some engine is in the rehearsal's Problem and
// in the input error Rehearse returns with every rehearsal, which lists
// each at its file and line. A source that does not load is an input
// error, as Lint reports it.
func Rehearse(ctx context.Context, cfg *config.Config, dialects []Dialect) ([]Rehearsal, error) {
	src, err := LoadSource(cfg, dialects, Options{})
	if err != nil {
		return nil, err
	}
	versions := src.Versions(source.Tenant)
	if len(versions) == 0 {
		return nil, nil
	}
	latest := versions[len(versions)-1]
	seen := map[string]bool{}
	var out []Rehearsal
	for _, sc := range cfg.Servers {
		d, err := dialectFor(dialects, sc.DSN)
		if err != nil {
			return nil, fmt.Errorf("server %q: %w", sc.Name, err)
		}
		if seen[d.Name()] {
			continue
		}
		seen[d.Name()] = true
		r, err := rehearse(ctx, d, sc, src, latest)
		if err != nil {
			return out, fmt.Errorf("rehearse on server %q: %w", sc.Name, err)
		}
		out = append(out, r)
	}
	var problems []Problem
	for _, r := range out {
		if r.Problem != nil {
			problems = append(problems, *r.Problem)
		}
	}
	problems = append(problems, unmatchedRules(cfg, out, latest)...)
	if len(problems) > 0 {
		return out, &InputError{Err: fmt.Errorf("rehearsal failed:\n%w", &source.Error{Problems: problems})}
	}
	return out, nil
}

// rehearse runs src's tenant path to latest on a scratch database of
// server sc.
func rehearse(ctx context.Context, d dialect.Dialect, sc config.Server, src *source.Source, latest *semver.Version) (Rehearsal, error) {
	r := Rehearsal{Engine: d.Name(), Server: sc.Name}
	srv, err := d.OpenServer(ctx, dialect.ServerConfig{Name: sc.Name, DSN: sc.DSN, Tenancy: dialect.Tenancy(sc.Tenancy)})
	if err != nil {
		return r, &InputError{Err: err}
	}
	defer srv.Close()
	p, err := plan.Make(src, source.Tenant, nil, latest, plan.Options{Engine: d.Name(), AllowExperimental: true})
	if err != nil {
		return r, err
	}
	r.Applied, err = onScratch(ctx, d, srv, p, time.Now(), func(db *dialect.Database) error {
		s, err := inspect(ctx, d, db.DB, db)
		r.reference = &s
		return err
	})
	var failed *execute.MigrationError
	if errors.As(err, &failed) {
		r.Problem = &Problem{File: failed.File, Line: failed.Line,
			Msg: fmt.Sprintf("%s fails on %s (server %s): %v", failed.Migration, d.Name(), sc.Name, failed.Err)}
		return r, nil
	}
	return r, err
}

// unmatchedRules reports the customisation rules of cfg on what is on a
// table (a column, an index, a key, a check) whose table matches no table
// of the latest reference on any engine rehearsed: a misspelt table, or
// a custom table's object, which a rule on tables covers whole.
func unmatchedRules(cfg *config.Config, rehearsals []Rehearsal, latest *semver.Version) []Problem {
	var out []Problem
	for _, c := range cfg.Customisations.Rules() {
		rule := ruleOf(c)
		named, checked := false, false
		for _, r := range rehearsals {
			if r.reference != nil {
				checked = true
				named = named || rule.NamesReferenceTable(*r.reference)
			}
		}
		if checked && !named {
			out = append(out, Problem{File: cfg.Path, Line: c.Line, Msg: fmt.Sprintf(
				"customisations (%s): %s rule %q names no table of the reference schema at v%s; "+
					"a table the tenant adds is covered whole by a rule on tables", c.Scope, c.Object, c.Pattern, latest)})
		}
	}
	return out
}
