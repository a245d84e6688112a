package herd

import (
	"context"
	"fmt"
	"strings"

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
// do. The script starts with comments naming the tenant and each drift
// difference; a tenant without drift gets a script of comments only. The
// check is not recorded (run Drift for that). An unknown tenant, or one
// never migrated, is an input error. It is safe for concurrent use.
func (f *Fleet) DriftSQL(ctx context.Context, code string) (string, error) {
	t, err := f.control.Tenant(ctx, code)
	if err != nil {
		return "", err
	}
	d, reference, live, err := f.compare(ctx, t)
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
			fmt.Fprintf(&b, "--   %s\n", strings.Join(strings.Fields(diff.String()), " "))
		}
	}
	b.WriteString("\n")
	for _, s := range drift.Repair(sw.SchemaWriter(), reference, live, d.Differences) {
		if s.SQL == "" {
			fmt.Fprintf(&b, "-- BY HAND: %s\n", s.Note)
			continue
		}
		fmt.Fprintf(&b, "%s;\n", s.SQL)
	}
	return b.String(), nil
}
