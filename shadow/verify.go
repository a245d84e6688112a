package shadow

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/snapshot"
)

// MismatchError is Verify's report that the shadow does not equal the
// tenant.
type MismatchError struct {
	// Tenant and Shadow name the two databases.
	Tenant, Shadow string
	// Tables lists each table that differs, with what differs, in table
	// order.
	Tables []TableMismatch
}

// TableMismatch is one table that differs between tenant and shadow.
type TableMismatch struct {
	Table string
	// What says what differs: "only in the tenant", "only in the shadow",
	// "schema differs", "rows: 10 in the tenant, 9 in the shadow" or
	// "checksum differs".
	What string
}

// Error names every table that differs.
func (e *MismatchError) Error() string {
	parts := make([]string, len(e.Tables))
	for i, m := range e.Tables {
		parts[i] = fmt.Sprintf("table %q: %s", m.Table, m.What)
	}
	return fmt.Sprintf("shadow: shadow %q does not equal tenant %q: %s", e.Shadow, e.Tenant, strings.Join(parts, "; "))
}

// Verify compares the shadow with the tenant, table by table (herd's
// ledger and owner table too, the capture table and the shadow's mark
// aside): the same tables
// with the same description (dialect.Inspector), the same number of rows
// and the same checksum over every row. Where the engine can hash rows
// in SQL (dialect.TableChecksummer: PostgreSQL, MySQL) the checksum is
// computed by each server side by side; elsewhere (SQLite) by
// snapshot.TableChecksum, which reads the rows into herd. It returns nil
// when they are equal, a *MismatchError naming every table that differs,
// or another error when a table cannot be read.
//
// Verify reads each table in its own query: run it with the tenant frozen
// (Freeze) and caught up (CatchUp returned 0), or the application's
// writes show up as differences.
func (s *Shadow) Verify(ctx context.Context) error {
	fail := func(err error) error {
		return fmt.Errorf("shadow: verify tenant %q: %w", s.tenantName, err)
	}
	if err := s.closed(); err != nil {
		return fail(err)
	}
	ins := s.d.(dialect.Inspector)
	tenant, err := ins.Tables(ctx, s.tenant.DB, s.tenant)
	if err != nil {
		return fail(err)
	}
	shadow, err := ins.Tables(ctx, s.shadow.DB, s.shadow)
	if err != nil {
		return fail(err)
	}
	byName := make(map[string]dialect.Table, len(shadow))
	for _, t := range shadow {
		byName[t.Name] = t
	}
	mismatch := &MismatchError{Tenant: s.tenantName, Shadow: s.name}
	for _, t := range tenant {
		if t.Name == dialect.CaptureTable {
			continue
		}
		st, ok := byName[t.Name]
		delete(byName, t.Name)
		switch {
		case !ok:
			mismatch.add(t.Name, "only in the tenant")
			continue
		case !reflect.DeepEqual(t, st):
			mismatch.add(t.Name, "schema differs")
			continue
		}
		what, err := s.compareRows(ctx, t)
		if err != nil {
			return fail(err)
		}
		if what != "" {
			mismatch.add(t.Name, what)
		}
	}
	for _, t := range shadow {
		if _, ok := byName[t.Name]; ok && t.Name != MarkerTable {
			mismatch.add(t.Name, "only in the shadow")
		}
	}
	if len(mismatch.Tables) > 0 {
		return mismatch
	}
	return nil
}

func (e *MismatchError) add(table, what string) {
	e.Tables = append(e.Tables, TableMismatch{Table: table, What: what})
}

// tableSum is one side's count and checksum of a table.
type tableSum struct {
	rows int64
	sum  string
	err  error
}

// compareRows checksums t in the tenant and the shadow at once, and says
// what differs, or "".
func (s *Shadow) compareRows(ctx context.Context, t dialect.Table) (string, error) {
	shadowSide := make(chan tableSum, 1)
	go func() { shadowSide <- s.checksum(ctx, s.shadow, t) }()
	a := s.checksum(ctx, s.tenant, t)
	b := <-shadowSide
	switch {
	case a.err != nil:
		return "", a.err
	case b.err != nil:
		return "", b.err
	case a.rows != b.rows:
		return fmt.Sprintf("rows: %d in the tenant, %d in the shadow", a.rows, b.rows), nil
	case a.sum != b.sum:
		return "checksum differs", nil
	}
	return "", nil
}

// checksum counts and hashes t's rows in db, in SQL where the engine can.
func (s *Shadow) checksum(ctx context.Context, db *dialect.Database, t dialect.Table) tableSum {
	if cs, ok := s.d.(dialect.TableChecksummer); ok {
		n, sum, err := cs.TableChecksum(ctx, db, t)
		return tableSum{n, sum, err}
	}
	sum, n, err := snapshot.TableChecksum(ctx, s.d, db, t)
	return tableSum{n, sum, err}
}
