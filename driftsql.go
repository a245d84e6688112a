package herd

import (
	"context"
	"fmt"
	"strings"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/drift"
)

// DriftSQL compares tenant code's live schema with the reference schema of
// its version, as Drift does, and returns a script of the statements that
// would remove its drift, for a person to review: herd never runs it. The
// tenant's customisations are left as they are. Each statement is
// rendered by the engine's dialect.SchemaWriter from the reference's
// description; a change the engine cannot make in place (SQLite cannot
// alter a column or add a constraint) is written as the table rebuild
// SQLite documents, keeping the table's customisations, and what the
// renderer cannot write at all is a "-- BY HAND:" comment saying what to
// do. Before returning it, DriftSQL runs the script on a copy of the
// tenant's schema without its rows, in a scratch database of its server
// (dropped afterwards), and checks that every statement ran, every view
// still runs and no drift is left. The script starts with comments naming
// the tenant and each drift difference, then the rehearsal's outcome
// ("REHEARSAL FAILED …" with the statement and the engine's error, a view
// that broke, or drift left; "Not rehearsed: …" when no copy could be
// made); a tenant without drift gets a script of comments only. The
// check is not recorded (run Drift for that). An unknown tenant, or one
// never migrated, is an input error. It is safe for concurrent use.
func (f *Fleet) DriftSQL(ctx context.Context, code string) (string, error) {
	t, version, err := f.migratedTenant(ctx, code)
	if err != nil {
		return "", err
	}
	d, reference, live, err := f.compare(ctx, t, version)
	if err != nil {
		return "", fmt.Errorf("drift of tenant %q: %w", code, err)
	}
	srv := f.servers[t.Server]
	sw, ok := srv.dialect.(dialect.SchemaWriting)
	if !ok {
		return "", fmt.Errorf("drift of tenant %q: %s cannot write DDL", code, srv.dialect.Name())
	}
	var b strings.Builder
	fmt.Fprintf(&b, "-- herd drift --sql: tenant %s at v%s on %s (server %s)\n", d.Tenant, d.Version, srv.dialect.Name(), t.Server)
	if d.Drifted == 0 {
		fmt.Fprintf(&b, "-- no drift (%d customisations left as they are): nothing to do\n", d.Customised)
		return b.String(), nil
	}
	fmt.Fprintf(&b, "-- %d drift differences to undo; %d customisations left as they are.\n", d.Drifted, d.Customised)
	b.WriteString("-- Review before running: herd does not run this script.\n")
	for _, diff := range d.Differences {
		if diff.Drift() {
			fmt.Fprintf(&b, "--   %s\n", oneLine(diff.String()))
		}
	}
	var body strings.Builder
	for _, s := range drift.Repair(sw.SchemaWriter(), reference, live, d.Differences) {
		if s.SQL == "" {
			fmt.Fprintf(&body, "-- BY HAND: %s\n", s.Note)
			continue
		}
		fmt.Fprintf(&body, "%s;\n", s.SQL)
	}
	for _, line := range f.rehearseRepair(ctx, t, srv, reference, body.String()) {
		fmt.Fprintf(&b, "-- %s\n", oneLine(line))
	}
	b.WriteString("\n")
	b.WriteString(body.String())
	return b.String(), nil
}

// oneLine folds s's runs of white space, new lines included, into one
// space, so that it fits a comment line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// rehearseRepair runs script on a copy of tenant t's schema without its
// rows (dialect.SchemaCopier) in a scratch database of its server, dropped
// afterwards, and says how that went, for the script's header: whether a
// statement failed, a view no longer runs (MySQL and SQLite let a column
// or table a view uses go), or drift is left once the script ran. A
// rehearsal that cannot be made (no dump tool, say) is said so, not an
// error: the script stands without it.
func (f *Fleet) rehearseRepair(ctx context.Context, t control.Tenant, srv server, reference drift.Schema, script string) []string {
	copier, ok := srv.Server.(dialect.SchemaCopier)
	if !ok {
		return []string{"Not rehearsed: " + srv.dialect.Name() + " cannot copy a tenant's schema."}
	}
	name, err := newScratch(ctx, srv.Server, f.opts.Now())
	if err == nil {
		err = copier.CopySchema(ctx, t.Database, name)
	}
	if err != nil {
		return []string{"Not rehearsed: copy the tenant's schema: " + err.Error()}
	}
	defer srv.Drop(context.WithoutCancel(ctx), name) //nolint:errcheck // best effort; the name says what it was
	outcome, err := rehearseOn(ctx, srv, name, script, reference, f.rules(t))
	if err != nil {
		return []string{"Not rehearsed: " + err.Error()}
	}
	return outcome
}

// rehearseOn runs script on scratch database name and checks the result
// against reference.
func rehearseOn(ctx context.Context, srv server, name, script string, reference drift.Schema, rules []drift.Rule) ([]string, error) {
	db, err := srv.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	conn, err := db.DB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stmts, err := srv.dialect.Split(script)
	if err != nil {
		return nil, fmt.Errorf("split the script: %w", err)
	}
	const failed = "REHEARSAL FAILED on a copy of the tenant's schema: "
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s.SQL); err != nil {
			return []string{failed + "the statement " + oneLine(s.SQL) + " failed: " + err.Error(),
				"Fix the script (or the tenant) before running it; the statements after it were not tried."}, nil
		}
	}
	ins := srv.dialect.(dialect.Inspector)
	views, err := ins.Views(ctx, conn, db)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, v := range views {
		if _, err := conn.ExecContext(ctx, "SELECT * FROM "+srv.dialect.QuoteIdent(v.Name)+" WHERE 1 = 0"); err != nil {
			out = append(out, failed+"view "+v.Name+" no longer runs: "+err.Error())
		}
	}
	after, err := inspect(ctx, srv.dialect, conn, db)
	if err != nil {
		return nil, err
	}
	for _, d := range drift.Classify(drift.Compare(reference, after), rules) {
		if d.Drift() {
			out = append(out, failed+"drift left: "+d.String())
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	return []string{"Rehearsed on a copy of the tenant's schema without its rows: every statement ran, every view runs,",
		"and no drift is left. Rows were not there to refuse a change (NOT NULL over nulls, a key over duplicates)."}, nil
}
