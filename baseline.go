package herd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/internal/retry"
	"github.com/herdhq/herd/plan"
	"github.com/herdhq/herd/source"
)

// BaselineRequest says which tenants herd baseline takes over, and from
// what.
type BaselineRequest struct {
	Selection
	// From is the tool whose ledger says what each tenant has applied.
	From Tool
	// To is required with ToolNone: the version the tenants are at.
	// With a tool, it is optional, and a tenant whose ledger does not
	// bring it exactly to To is refused.
	To string
	// Mapping is the path of a mapping file (see readMapping), for the
	// tool versions herd cannot match by sequence number or file name.
	Mapping string
	// IgnoreChecksums takes a Flyway tenant over even when the checksum
	// Flyway recorded of a versioned SQL migration is not that of herd's
	// up file it maps onto (see flyway.Checksum); by default such a
	// tenant is refused, as flyway validate would refuse it. goose and
	// golang-migrate keep no checksum: nothing is compared for them.
	IgnoreChecksums bool
	// Concurrency is how many tenants are baselined at once (1 when less
	// than 1), at most rollout.per_server on one server.
	Concurrency int
}

// BaselineStatus is what herd baseline did to one tenant.
type BaselineStatus string

// The baseline statuses.
const (
	// BaselineRecorded recorded the tenant's migrations in its ledger and
	// the control database.
	BaselineRecorded BaselineStatus = "recorded"
	// BaselineUnchanged left a tenant that herd's ledger already records
	// (baselined or migrated by herd before), or whose tool records
	// nothing.
	BaselineUnchanged BaselineStatus = "unchanged"
	// BaselineRefused left a tenant herd cannot take over as it is.
	BaselineRefused BaselineStatus = "refused"
)

// BaselineOutcome is one tenant's baseline.
type BaselineOutcome struct {
	Tenant string         `json:"tenant"`
	Status BaselineStatus `json:"status"`
	// Version is the tenant's version after the baseline (as herd's
	// ledger has it); "" for none.
	Version string `json:"version"`
	// Migrations are the migrations recorded (BaselineRecorded).
	Migrations []string `json:"migrations,omitempty"`
	// Reason says why a tenant was left unchanged or refused.
	Reason string `json:"reason,omitempty"`
}

// Baseline takes the selected tenants over from another migration tool
// without running a migration: for each tenant it reads the tool's ledger
// (see Tool), maps each migration it records onto herd's tenant
// migrations (by the mapping file, by Flyway's file name, by sequence
// number), and records them as applied in the tenant's ledger and in the
// control database's history and version, as if herd had applied them.
// With ToolNone it declares each tenant at req.To, after comparing its
// schema with that version's reference (see Drift): a tenant that drifted
// from it is refused. The tool's table is left in place.
//
// A tenant that herd's ledger already records is left unchanged, so
// running Baseline again changes nothing. A tenant whose tool ledger is
// dirty or failed, that records a migration herd's source lacks, or skips
// one that a later one needs, or whose Flyway checksum of a script is not
// that of herd's file (unless req.IgnoreChecksums), is refused, named
// with the reason. It returns an outcome per tenant and, when any was
// refused, a *TenantsError listing them; it is an input error (see
// TenantsError.Refused) when no tenant was recorded. An unknown tool or
// version, a malformed mapping file, or a selector that matches no tenant
// is an *InputError, and nothing is recorded.
func (f *Fleet) Baseline(ctx context.Context, req BaselineRequest) ([]BaselineOutcome, error) {
	if _, ok := req.From.ledger(); !ok && req.From != ToolNone {
		return nil, &InputError{Err: fmt.Errorf("baseline: unknown tool %q (known: goose, golang-migrate, flyway, none)", req.From)}
	}
	if req.From == ToolNone && req.To == "" {
		return nil, &InputError{Err: errors.New("baseline --from none: say which version the tenants are at (--to VERSION)")}
	}
	var to *semver.Version
	if req.To != "" {
		v, err := f.resolveTarget(source.Tenant, req.To)
		if err != nil {
			return nil, err
		}
		to = v
	}
	mm, err := readMapping(req.Mapping, f.src.Migrations(source.Tenant))
	if err != nil {
		return nil, err
	}
	tenants, err := f.selectTenants(ctx, req.Selection)
	if err != nil {
		return nil, err
	}
	out, err := eachTenant(ctx, f, tenants, req.Concurrency, func(ctx context.Context, t control.Tenant) (BaselineOutcome, error) {
		o, err := f.baselineTenant(ctx, t, takeover{tool: req.From, to: to, mm: mm, ignoreChecksums: req.IgnoreChecksums})
		var refusal *toolRefusal
		if errors.As(err, &refusal) {
			return BaselineOutcome{Tenant: t.Code, Status: BaselineRefused, Reason: refusal.msg}, nil
		}
		if err != nil {
			return o, fmt.Errorf("baseline tenant %q: %w", t.Code, err)
		}
		return o, nil
	}, func(o BaselineOutcome) string { return o.Tenant }, "baselined; baseline again to carry on")
	return out, refusals(out, len(tenants), err)
}

// refusals adds the refused tenants of out, of total selected, to err,
// the error of the run: a *TenantsError listing each, which is bad input
// (TenantsError.Refused) when no tenant was recorded and no other failed.
func refusals(out []BaselineOutcome, total int, err error) error {
	var (
		refused  []error
		recorded bool
	)
	for _, o := range out {
		recorded = recorded || o.Status == BaselineRecorded
		if o.Status == BaselineRefused {
			refused = append(refused, &InputError{Err: fmt.Errorf("baseline tenant %q: %s", o.Tenant, o.Reason)})
		}
	}
	var failed *TenantsError
	switch {
	case len(refused) == 0:
		return err
	case errors.As(err, &failed):
		failed.Errors = append(failed.Errors, refused...)
		failed.Failed += len(refused)
		return err
	case err != nil:
		return errors.Join(err, &TenantsError{Failed: len(refused), Total: total, Changed: true, Errors: refused})
	}
	return &TenantsError{Failed: len(refused), Total: total, Changed: recorded, Errors: refused}
}

// takeover is what herd baseline takes each tenant over from, read from a
// BaselineRequest.
type takeover struct {
	tool            Tool
	to              *semver.Version // nil when not given
	mm              migrationMap
	ignoreChecksums bool
}

// baselineTenant baselines tenant t from tk.tool under its migration
// lock. A tenant herd cannot take over is a *toolRefusal.
func (f *Fleet) baselineTenant(ctx context.Context, t control.Tenant, tk takeover) (BaselineOutcome, error) {
	tg, err := f.tenantTarget(t)
	if err != nil {
		return BaselineOutcome{}, err
	}
	out := BaselineOutcome{Tenant: t.Code}
	migrations := f.src.Migrations(source.Tenant)
	err = f.session(ctx, tg, func(s *execute.Session) error {
		entries, err := s.Ledger(ctx)
		if err != nil {
			return fmt.Errorf("read herd's ledger: %w", err)
		}
		if len(entries) > 0 {
			out.Status, out.Version = BaselineUnchanged, control.Version(plan.Current(migrations, execute.Applied(entries)))
			out.Reason = fmt.Sprintf("herd's ledger already records %d migrations", len(entries))
			if slices.ContainsFunc(entries, func(e execute.Entry) bool { return e.State == execute.StateDirty }) {
				return nil // herd repair's to settle, not a baseline's
			}
			// A baseline whose control-database write was lost is
			// recorded there now, from the ledger.
			return f.nothingToDo(ctx, tg, entries, out.Version)
		}
		ms, err := f.toolMigrations(ctx, s, t, tk)
		if err != nil {
			return err
		}
		if len(ms) == 0 {
			out.Status, out.Reason = BaselineUnchanged, string(tk.tool)+" records no migration: herd migrates it from the start"
			return nil
		}
		note := "baseline from " + string(tk.tool)
		results, err := s.MarkApplied(ctx, ms, note)
		if err != nil {
			return fmt.Errorf("record %d migrations in herd's ledger: %w", len(ms), err)
		}
		var steps buffer
		for _, r := range results {
			if err := steps.Record(ctx, r); err != nil {
				return err
			}
		}
		out.Status, out.Version = BaselineRecorded, control.Version(plan.Current(migrations, applied(ms)))
		for _, m := range ms {
			out.Migrations = append(out.Migrations, m.ID())
		}
		detail := fmt.Sprintf("%s: %d migrations recorded, none run, at %s", note, len(ms), versionLabel(out.Version))
		finish := func(ctx context.Context) error {
			return f.control.Finish(ctx, tg.ref, control.Outcome{Current: out.Version, Steps: steps, Actor: f.opts.Actor, Detail: detail})
		}
		// The ledger committed: the tenant is baselined whatever happens
		// to the control database now, and the next run (a migration, or
		// this baseline again) reconciles it from the ledger.
		if err := retry.Do(context.WithoutCancel(ctx), f.reconnect(tg.ref, "record the baseline in the control database"), finish); err != nil {
			f.opts.Logger.Warn("herd: could not record a baseline in the control database; the next run reconciles it from the ledger",
				"database", tg.ref.String(), "err", err)
		}
		return nil
	})
	return out, err
}

// toolMigrations returns herd's migrations that tk.tool's ledger in the
// locked database s says are applied, in order; with ToolNone, those up
// to tk.to once the tenant's schema matches its reference. A ledger herd
// cannot take over is a *toolRefusal.
func (f *Fleet) toolMigrations(ctx context.Context, s *execute.Session, t control.Tenant, tk takeover) ([]*source.Migration, error) {
	if tk.tool == ToolNone {
		return f.declaredMigrations(ctx, t, tk.to, tk.mm.migrations)
	}
	d := f.servers[t.Server].dialect
	records, err := readToolLedger(ctx, tk.tool, d, s.Conn(), s.Database())
	if err != nil {
		return nil, err
	}
	done := map[string]bool{}
	for _, r := range records {
		m, skip, err := tk.mm.resolve(tk.tool, r)
		if err != nil {
			return nil, err
		}
		if !skip && !tk.ignoreChecksums {
			if err := checkChecksum(tk.tool, r, m, d.Name()); err != nil {
				return nil, err
			}
		}
		for _, each := range tk.mm.migrations {
			if !skip && (each == m || r.UpTo && source.Compare(each, m) <= 0) {
				done[each.ID()] = true
			}
		}
	}
	ms, err := prefix(tk.tool, tk.mm.migrations, done)
	if err != nil || tk.to == nil || len(ms) == 0 {
		return ms, err
	}
	if at := plan.Current(tk.mm.migrations, applied(ms)); at == nil || !at.Equal(tk.to) {
		return nil, &toolRefusal{msg: fmt.Sprintf("%s brings it to %s, not v%s (--to)", tk.tool, versionLabel(control.Version(at)), tk.to)}
	}
	return ms, nil
}

// prefix returns the migrations done holds, which must be the first of
// migrations (in herd's order): herd applies migrations in order, and a
// tenant that skipped one would have it run after later ones.
func prefix(tool Tool, migrations []*source.Migration, done map[string]bool) ([]*source.Migration, error) {
	n := 0
	for n < len(migrations) && done[migrations[n].ID()] {
		n++
	}
	for _, m := range migrations[n:] {
		if done[m.ID()] {
			return nil, &toolRefusal{msg: fmt.Sprintf("%s records %s but not %s, which comes before it", tool, m.ID(), migrations[n].ID())}
		}
	}
	return migrations[:n], nil
}

// declaredMigrations returns the migrations up to version to, once tenant
// t's live schema matches to's reference schema (differences allowed by
// herd.yaml's customisations aside); a tenant that drifted from it is a
// *toolRefusal naming the differences.
func (f *Fleet) declaredMigrations(ctx context.Context, t control.Tenant, to *semver.Version, migrations []*source.Migration) ([]*source.Migration, error) {
	d, _, _, err := f.compare(ctx, t, to.String())
	if err != nil {
		return nil, err
	}
	if d.Summary.Drifted > 0 {
		var diffs []string
		for _, diff := range d.Differences {
			if diff.Drift() {
				diffs = append(diffs, diff.String())
			}
		}
		return nil, &toolRefusal{msg: fmt.Sprintf("its schema is not v%s's: %d differences from the reference (%s)", to, d.Summary.Drifted, strings.Join(diffs, "; "))}
	}
	var out []*source.Migration
	for _, m := range migrations {
		if !m.Version.GreaterThan(to) {
			out = append(out, m)
		}
	}
	return out, nil
}

// applied is ms as the planner reads a ledger that holds them.
func applied(ms []*source.Migration) []plan.Applied {
	out := make([]plan.Applied, len(ms))
	for i, m := range ms {
		out[i] = plan.Applied{ID: m.ID()}
	}
	return out
}
