package dialecttest

import (
	"embed"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/snapshot"
)

// fixtures are tenants holding every kind of object an engine has, one
// file per engine, and the schema changes the stamp test makes to them.
//
//go:embed testdata/every_object.*.sql testdata/stamp_changes.*.sql
var fixtures embed.FS

// breakEveryObject undoes, per engine, a part of each kind of object of
// the fixture, and changes rows and generated-key positions.
var breakEveryObject = map[string][]string{
	"postgres": {
		"DROP TRIGGER invoices_logged ON invoices",
		"DROP PROCEDURE award(integer, integer)",
		"DROP MATERIALIZED VIEW term_scores",
		"DROP AGGREGATE longest(text)",
		"DROP RULE pupil_totals_no_delete ON pupil_totals",
		"DROP TABLE teaching_staff",
		"DROP TABLE marks_t2",
		"COMMENT ON TABLE pupils IS NULL",
		"ALTER TABLE pupils ALTER COLUMN grade SET DEFAULT 'C'",
		"UPDATE pupils SET name = 'Renamed'",
		"INSERT INTO invoices (pupil_id, amount) SELECT min(id), 1 FROM pupils",
		"INSERT INTO pupils (name) VALUES ('New')",
		"DROP TYPE address CASCADE",
	},
	"mysql": {
		"DROP TRIGGER invoices_logged",
		"DROP PROCEDURE award",
		"DROP FUNCTION invoice_total",
		"DROP EVENT purge_audit",
		"DROP VIEW pupil_totals",
		"ALTER TABLE pupils COMMENT = ''",
		"UPDATE pupils SET name = 'Renamed'",
		"INSERT INTO pupils (name) VALUES ('New')",
		"INSERT INTO invoices (pupil_id, amount) SELECT MIN(id), 1 FROM pupils",
	},
	"sqlite": {
		"DROP TRIGGER invoices_logged",
		"DROP VIEW pupil_totals",
		"DROP INDEX invoices_pupil",
		"UPDATE pupils SET name = 'Renamed'",
		"INSERT INTO pupils (name) VALUES ('New')",
	},
}

// testSnapshotEveryObject migrates the engine's fixture into a tenant,
// snapshots it, breaks every kind of object, restores it and compares the
// engine's own schema dumps and every table's checksum with those taken
// before the snapshot.
func (s *suite) testSnapshotEveryObject(t *testing.T) {
	ctx := t.Context()
	dumper, ok := s.srv.(dialect.SchemaDumper)
	require.True(t, ok, "%T does not implement dialect.SchemaDumper", s.srv)
	dump := func(name string) string {
		t.Helper()
		out, err := dumper.SchemaDump(ctx, name)
		require.NoError(t, err)
		return out
	}
	tenant, db := s.tenant(t)
	s.apply(t, db, fixtures, "testdata/every_object."+s.d.Name()+".sql")
	before, sums := dump(tenant), s.checksums(t, db)
	require.NotContains(t, before, tenant, "the dump does not name the tenant")
	matview := s.matviewRows(t, db)

	snap, sdb := s.takeSnapshot(t, tenant)
	require.NoError(t, snapshot.CompareDumps(tenant, before, snap, dump(snap)), "the snapshot dumps as the tenant")
	require.Equal(t, sums, s.checksums(t, sdb))

	s.execAll(t, db, breakEveryObject[s.d.Name()]...)
	var diff *snapshot.DumpDiffError
	require.ErrorAs(t, snapshot.CompareDumps(tenant, before, tenant, dump(tenant)), &diff, "the dump sees the breakage")
	require.NotEqual(t, sums, s.checksums(t, db))

	db = s.restore(t, db, snap, tenant)
	require.NoError(t, snapshot.CompareDumps(tenant+" before", before, tenant+" restored", dump(tenant)))
	require.Equal(t, sums, s.checksums(t, db))
	require.Equal(t, matview, s.matviewRows(t, db), "the materialized view's rows")
	require.NoError(t, snapshot.CompareDumps(tenant, before, snap, dump(snap)), "the snapshot is intact")
	require.NoError(t, snapshot.Verify(ctx, s.d, db, s.open(t, snap)))
}

// matviewRows returns the rows of the PostgreSQL fixture's materialized
// view (which checksums do not cover), nil on other engines.
func (s *suite) matviewRows(t *testing.T, db *dialect.Database) []string {
	t.Helper()
	if s.d.Name() != "postgres" {
		return nil
	}
	rows, err := db.DB.QueryContext(t.Context(), "SELECT term || ' ' || average || ' ' || n || ' ' || longest_name FROM term_scores ORDER BY term")
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		require.NoError(t, rows.Scan(&r))
		out = append(out, r)
	}
	require.NoError(t, rows.Err())
	require.Len(t, out, 2)
	return out
}
