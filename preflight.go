package herd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/drift"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/internal/locklint"
	"github.com/herdhq/herd/plan"
	"github.com/herdhq/herd/source"
)

// ConflictError says a tenant's pending path conflicts with its live
// schema, found before any of it ran: rehearsed on a copy of the tenant's
// schema without its rows, a statement failed there (a column or index
// that already exists, a column a custom view depends on), or the path
// left one of the tenant's views unable to run. It is bad input: nothing
// changed, and the remedy is to fix the tenant's schema or the migration.
type ConflictError struct {
	Tenant string
	// Migration is the migration that failed on the copy, with the
	// statement and its file and line; View is set instead when the path
	// ran and left the view unable to run.
	Migration string
	Statement int
	File      string
	Line      int
	View      string
	// Err is what the engine said.
	Err error
}

func (e *ConflictError) Error() string {
	if e.View != "" {
		return fmt.Sprintf("tenant %q: the pending migrations break its view %s (rehearsed on a copy of its schema): %v",
			e.Tenant, e.View, e.Err)
	}
	return fmt.Sprintf("tenant %q: %s statement %d (%s:%d) conflicts with the tenant's schema (rehearsed on a copy of it): %v",
		e.Tenant, e.Migration, e.Statement, e.File, e.Line, e.Err)
}

func (e *ConflictError) Unwrap() error { return e.Err }

// preflight rehearses tenant tg's plan p on a scratch database holding
// its schema without rows, before anything runs on the tenant, unless
// herd.yaml's on_conflict is skip. A tenant whose live schema is its
// version's reference has nothing to conflict with and is not rehearsed;
// another is rehearsed on a copy of its schema (dialect.SchemaCopier),
// and what fails there as it fails on the reference is the migration's
// own fault, left for the run. Tenants whose live schemas describe
// identically share one rehearsal of a path for the Fleet's life. It
// returns a *ConflictError when the rehearsal meets a conflict.
//
// Finding the tenant at its reference takes no inspection (on PostgreSQL
// and MariaDB a handful of catalog queries on a fresh session, the
// largest part of a small migration's cost) when the last run left it at
// the reference of the plan's starting version and its schema stamp is
// still the one that run recorded with last, its row (see
// stampedAtReference), or, where no stamp tells (PostgreSQL and MySQL
// have none), when its stored drift check found it there no longer ago
// than drift_fresh; nor for a first migration of a tenant without tables
// (see rehearseTenant). atReference reports that the tenant was found, or
// known, to be at its reference: once the path ran, it is at
// the next one, and the run records its stamp (see Store.Finish). checked
// is, when drift_fresh is set, the drift check the run records with it,
// so that a migration soon after (a rollback) trusts it in turn.
func (f *Fleet) preflight(ctx context.Context, tg target, s *execute.Session, p *plan.Plan, last *control.VersionState) (atReference bool, checked *control.Drift, err error) {
	if f.cfg.OnConflict == config.ConflictSkip || tg.kind != source.Tenant || len(p.Steps) == 0 {
		return false, nil, nil
	}
	from := control.Version(p.From)
	at := f.opts.Now()
	var recorded *control.Stamp
	if last != nil {
		recorded = last.Stamp
	}
	unchanged, changed := stampedAtReference(ctx, tg, s, from, recorded)
	fresh := false
	if !unchanged && !changed {
		var checkedAt time.Time
		if checkedAt, fresh = f.freshAtReference(ctx, tg, from); fresh {
			at = checkedAt
		}
	}
	switch {
	case unchanged:
		f.opts.Logger.Debug("herd: pre-flight: the schema stamp is the one the last run left at the reference; not inspected",
			"tenant", tg.ref.Identifier, "version", from)
	case !fresh:
		r, err := f.rehearseTenant(ctx, tg, s.Conn(), s.Database(), p)
		if err != nil {
			return false, nil, err
		}
		s.Resolve(r.existing)
		if !r.identical {
			return false, nil, nil
		}
	}
	if f.cfg.DriftFresh > 0 {
		checked = &control.Drift{Tenant: tg.ref.Identifier, Version: control.Version(p.To), Summary: drift.Summary{State: drift.None},
			CheckedAt: at}
	}
	return true, checked, nil
}

// stampedAtReference compares tenant tg's schema stamp
// (dialect.SchemaStamper), read through s, with recorded, the one the
// last run recorded (from its row, see lastRun) when it left the tenant
// at the reference of version from. The stamp changes with anything the
// drift inspection describes, so the answer is exact however long ago
// that run was: unchanged when the two are equal, changed when they
// differ (a drift check, however fresh, is then not trusted either).
// Neither is set when there is nothing to compare: an engine without
// stamps, no stamp recorded at from, or a failed read; the pre-flight
// then inspects, unless drift_fresh spares it.
func stampedAtReference(ctx context.Context, tg target, s *execute.Session, from string, recorded *control.Stamp) (unchanged, changed bool) {
	st, ok := tg.dialect.(dialect.SchemaStamper)
	if !ok || from == "" || recorded == nil || recorded.Version != from {
		return false, false
	}
	now, err := st.SchemaStamp(ctx, s.Conn(), s.Database())
	if err != nil {
		return false, false
	}
	return now == recorded.Value, now != recorded.Value
}

// freshAtReference returns when tenant tg's stored drift check found it
// at its version's reference at version from, and whether that was no
// longer ago than drift_fresh. A failed read is not fresh. A run that
// trusts it passes its time on (the check is as old as the inspection
// it was), so that a chain of runs does not keep it fresh for ever.
func (f *Fleet) freshAtReference(ctx context.Context, tg target, from string) (time.Time, bool) {
	if f.cfg.DriftFresh <= 0 || from == "" {
		return time.Time{}, false
	}
	d, ok, err := f.control.Drift(ctx, tg.ref.Identifier)
	fresh := err == nil && ok && d.Version == from && d.Summary == drift.Summary{State: drift.None} &&
		f.opts.Now().Sub(d.CheckedAt) <= f.cfg.DriftFresh
	return d.CheckedAt, fresh
}

// Preflight rehearses the path of tenant code to version to ("" for the
// latest) as a migration's pre-flight does (whatever on_conflict says),
// changing nothing on the tenant: nil when the path would meet no
// conflict, a *ConflictError when it would. An unknown tenant or version,
// or a plan policy refuses, is an input error.
func (f *Fleet) Preflight(ctx context.Context, code, to string) error {
	ref := control.TenantRef(code)
	p, err := f.Plan(ctx, ref, to)
	if err != nil {
		return err
	}
	tg, err := f.resolve(ctx, ref)
	if err != nil {
		return err
	}
	db, closeDB, err := tg.open(ctx)
	if err != nil {
		return err
	}
	defer f.warn(ref, "close the connection", closeDB)
	_, err = f.rehearseTenant(ctx, tg, db.DB, db, p)
	return err
}

// rehearsal is what the pre-flight rehearsal of a path found: a conflict,
// or none, with the statements that on_conflict: adopt_identical takes as
// done (see execute.Session.Resolve).
type rehearsal struct {
	conflict *ConflictError
	existing map[string][]int
	// identical is set when the tenant's live schema was its reference:
	// nothing was rehearsed.
	identical bool
}

// rehearseTenant is preflight's rehearsal, of tenant tg open as db,
// whose schema it reads through q.
func (f *Fleet) rehearseTenant(ctx context.Context, tg target, q dialect.Queryer, db *dialect.Database, p *plan.Plan) (rehearsal, error) {
	if tg.kind != source.Tenant || len(p.Steps) == 0 {
		return rehearsal{}, nil
	}
	from := control.Version(p.From)
	if ins, ok := tg.dialect.(dialect.Inspector); ok && from == "" {
		// The reference of no version is empty: a tenant without tables
		// is it, which one query tells, where describing even herd's own
		// tables takes several.
		has, err := ins.HasTables(ctx, q, db, herdTablePrefix)
		if err != nil {
			return rehearsal{}, fmt.Errorf("pre-flight: %w", err)
		}
		if !has {
			return rehearsal{identical: true}, nil
		}
	}
	live, err := inspect(ctx, tg.dialect, q, db)
	if err != nil {
		return rehearsal{}, fmt.Errorf("pre-flight: %w", err)
	}
	engine := tg.dialect.Name()
	reference := drift.Schema{}
	if from != "" {
		if reference, err = f.reference(ctx, tg.srv, from); err != nil {
			return rehearsal{}, fmt.Errorf("pre-flight: %w", err)
		}
	}
	diffs := drift.Compare(reference, live)
	if len(diffs) == 0 {
		// The tenant is its reference: what fails on it is the
		// migration's own fault, for the run to meet and record.
		return rehearsal{identical: true}, nil
	}
	key := fmt.Sprintf("%s %s %s %s %s %s", engine, live.Fingerprint(), from, p.Direction(), control.Version(p.To), pathSum(p, engine))
	r, err := f.rehearsals.do(key, func() (rehearsal, error) {
		if conflict, err := touchesChanged(tg.dialect, p, diffs, reference, live); conflict != nil || err != nil {
			return rehearsal{conflict: conflict}, err
		}
		return f.rehearse(ctx, tg, p, live)
	})
	if err != nil {
		return rehearsal{}, fmt.Errorf("pre-flight of tenant %q (nothing ran; herd.yaml's on_conflict: skip migrates without it): %w",
			tg.ref.Identifier, err)
	}
	if r.conflict != nil {
		c := *r.conflict
		c.Tenant = tg.ref.Identifier
		return rehearsal{}, &c
	}
	return r, nil
}

// rehearse rehearses p on a copy of tenant tg's schema (see
// rehearsePath). A statement that fails there as it fails on the
// reference is the migration's own fault, not a conflict: the run meets
// and records it. With on_conflict: adopt_identical, a statement that
// fails because it creates what the tenant's live schema holds
// identically is taken as done, and the path rehearsed again without it,
// until it runs or meets another conflict.
func (f *Fleet) rehearse(ctx context.Context, tg target, p *plan.Plan, live drift.Schema) (rehearsal, error) {
	existing := map[string][]int{}
	for {
		conflict, err := f.rehearsePath(ctx, tg, p, false, existing)
		if err != nil || conflict == nil {
			return rehearsal{existing: existing}, err
		}
		if own, err := f.failsOnReference(ctx, tg, p, conflict); own || err != nil {
			return rehearsal{existing: existing}, err
		}
		if f.cfg.OnConflict != config.ConflictAdoptIdentical {
			return rehearsal{conflict: conflict}, nil
		}
		same, err := f.existsIdentically(ctx, tg, p, live, conflict)
		if err != nil || !same {
			return rehearsal{conflict: conflict}, err
		}
		existing[conflict.Migration] = append(existing[conflict.Migration], conflict.Statement)
	}
}

// failsOnReference reports whether p fails on the reference of its start
// as conflict says it failed on the tenant's copy: at the same statement,
// or breaking the same view. The reference's rehearsal is shared by every
// tenant on the path.
func (f *Fleet) failsOnReference(ctx context.Context, tg target, p *plan.Plan, conflict *ConflictError) (bool, error) {
	engine := tg.dialect.Name()
	key := fmt.Sprintf("%s reference %s %s %s %s", engine, control.Version(p.From), p.Direction(), control.Version(p.To), pathSum(p, engine))
	r, err := f.rehearsals.do(key, func() (rehearsal, error) {
		c, err := f.rehearsePath(ctx, tg, p, true, nil)
		return rehearsal{conflict: c}, err
	})
	if err != nil || r.conflict == nil {
		return false, err
	}
	c := r.conflict
	return c.Migration == conflict.Migration && c.Statement == conflict.Statement && c.View == conflict.View, nil
}

// existsIdentically reports whether conflict's statement creates an
// object that the tenant's live schema already holds as the reference of
// the statement's version defines it.
func (f *Fleet) existsIdentically(ctx context.Context, tg target, p *plan.Plan, live drift.Schema, conflict *ConflictError) (bool, error) {
	if conflict.View != "" || conflict.Statement == 0 || p.Direction() != plan.Up {
		return false, nil
	}
	engine := tg.dialect.Name()
	for _, step := range p.Steps {
		m := step.Migration
		if m.ID() != conflict.Migration || m.Go != nil {
			continue
		}
		script, _ := m.Up(engine)
		stmts, err := tg.dialect.Split(script.SQL)
		if err != nil || conflict.Statement > len(stmts) {
			return false, err
		}
		toks, err := tg.dialect.Tokens(stmts[conflict.Statement-1].SQL)
		if err != nil {
			return false, err
		}
		object, name, ok := drift.Creates(locklint.Tokens(toks))
		if !ok {
			return false, nil
		}
		reference, err := f.reference(ctx, tg.srv, control.Version(m.Version))
		if err != nil {
			return false, err
		}
		want, inReference := reference.Describe(object, name)
		got, inTenant := live.Describe(object, name)
		return inReference && inTenant && want == got, nil
	}
	return false, nil
}

// rehearsePath runs p, but the statements existing takes as done, on a
// scratch database holding tg's schema: built by the reference path to
// p's start when asReference, else copied from the tenant. Then every
// view must still run.
func (f *Fleet) rehearsePath(ctx context.Context, tg target, p *plan.Plan, asReference bool, existing map[string][]int) (*ConflictError, error) {
	srv := tg.srv.Server
	name, err := newScratch(ctx, srv, f.opts.Now())
	if err != nil {
		return nil, err
	}
	if asReference {
		if err := srv.Create(ctx, name); err != nil {
			return nil, err
		}
	} else {
		copier, ok := srv.(dialect.SchemaCopier)
		if !ok {
			return nil, fmt.Errorf("%s cannot copy a tenant's schema", tg.dialect.Name())
		}
		if err := copier.CopySchema(ctx, tg.database, name); err != nil {
			return nil, err
		}
	}
	defer srv.Drop(context.WithoutCancel(ctx), name) //nolint:errcheck // best effort; the name says what it was
	db, err := srv.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	s, err := execute.New(tg.dialect, nil).Lock(ctx, db)
	if err != nil {
		return nil, err
	}
	defer s.Close(context.WithoutCancel(ctx)) //nolint:errcheck // the database is dropped
	if asReference && p.From != nil {
		base, err := plan.Make(f.src, source.Tenant, nil, p.From, plan.Options{Engine: tg.dialect.Name(), AllowExperimental: true})
		if err != nil {
			return nil, err
		}
		if err := s.Apply(ctx, base, &counter{}); err != nil {
			return nil, fmt.Errorf("build the reference of %s: %w", control.Version(p.From), err)
		}
	}
	s.Resolve(existing)
	var failed *execute.MigrationError
	switch err := s.Apply(ctx, p, &counter{}); {
	case errors.As(err, &failed):
		return &ConflictError{Migration: failed.Migration, Statement: failed.Statement, File: failed.File, Line: failed.Line,
			Err: failed.Err}, nil
	case err != nil:
		return nil, err
	}
	views, err := tg.dialect.(dialect.Inspector).Views(ctx, db.DB, db)
	if err != nil {
		return nil, err
	}
	for _, v := range views {
		if _, err := db.DB.ExecContext(ctx, "SELECT * FROM "+tg.dialect.QuoteIdent(v.Name)+" WHERE 1 = 0"); err != nil {
			return &ConflictError{View: v.Name, Err: err}, nil
		}
	}
	return nil, nil
}

// touchesChanged reads p's statements for what no engine refuses (diffs
// are how live differs from reference): a
// statement that drops or renames an object the tenant changed (its live
// definition is not the reference's), or a table that one of the
// tenant's own foreign keys references. It returns the first such
// statement as a conflict.
func touchesChanged(d dialect.Dialect, p *plan.Plan, diffs []drift.Difference, reference, live drift.Schema) (*ConflictError, error) {
	changed := map[string]drift.Difference{}
	for _, diff := range diffs {
		if diff.Change == drift.Changed {
			changed[string(diff.Object)+" "+strings.ToLower(diff.Name)] = diff
		}
	}
	referenced := map[string]string{} // table → the tenant's own foreign key on it
	for _, t := range live.Tables {
		for _, fk := range t.ForeignKeys {
			name := t.Name + "." + drift.ForeignKeyID(fk)
			if _, ours := reference.Describe(drift.ForeignKey, name); !ours {
				referenced[strings.ToLower(fk.RefTable)] = name
			}
		}
	}
	if len(changed) == 0 && len(referenced) == 0 {
		return nil, nil
	}
	for _, step := range p.Steps {
		m := step.Migration
		script, ok := m.Up(d.Name())
		if step.Direction == plan.Down {
			script, ok = m.Down(d.Name())
		}
		if m.Go != nil || !ok {
			continue
		}
		stmts, err := d.Split(script.SQL)
		if err != nil {
			return nil, err
		}
		for n, st := range stmts {
			toks, err := d.Tokens(st.SQL)
			if err != nil {
				return nil, err
			}
			for _, t := range drift.Touches(locklint.Tokens(toks)) {
				why := ""
				if diff, ok := changed[string(t.Object)+" "+strings.ToLower(t.Name)]; ok {
					why = fmt.Sprintf("it drops or renames %s, which the tenant changed: %s", t.Name, diff)
				} else if fk, ok := referenced[strings.ToLower(t.Name)]; ok && t.Object == drift.Table {
					why = fmt.Sprintf("it drops or renames table %s, which the tenant's own foreign key %s references", t.Name, fk)
				}
				if why != "" {
					return &ConflictError{Migration: m.ID(), Statement: n + 1, File: script.File, Line: st.Line, Err: errors.New(why)}, nil
				}
			}
		}
	}
	return nil, nil
}
