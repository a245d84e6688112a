package dialecttest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/dialect"
	schoolerp "github.com/herdhq/herd/examples/school-erp"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/snapshot"
	"github.com/herdhq/herd/source"
)

// snapshotTests are the subtests of the Snapshotter capability, which every
// herd dialect must have, with the Inspector that verifies it.
func (s *suite) snapshotTests(t *testing.T) []namedTest {
	t.Helper()
	if _, ok := s.srv.(dialect.Snapshotter); !ok {
		t.Errorf("%T does not implement dialect.Snapshotter", s.srv)
		return nil
	}
	if _, ok := s.d.(dialect.Inspector); !ok {
		t.Errorf("%T does not implement dialect.Inspector", s.d)
		return nil
	}
	return []namedTest{
		{"SnapshotRestore", s.testSnapshotRestore},
		{"SnapshotVerifyDiffers", s.testSnapshotVerifyDiffers},
		{"SnapshotConsistent", s.testSnapshotConsistent},
		{"SnapshotRefuses", s.testSnapshotRefuses},
		{"SnapshotEveryObject", s.testSnapshotEveryObject},
	}
}

// namedTest is one subtest of Run.
type namedTest struct {
	name string
	test func(*testing.T)
}

func (s *suite) snapshotter() dialect.Snapshotter { return s.srv.(dialect.Snapshotter) }

// snapshotName returns a name for a snapshot of db, as herd makes them
// (<db>_s<8 hex>), dropped when the test ends.
func (s *suite) snapshotName(t *testing.T, db string) string {
	t.Helper()
	b := make([]byte, 4)
	_, err := rand.Read(b)
	require.NoError(t, err)
	name := db + "_s" + hex.EncodeToString(b)
	require.LessOrEqual(t, len(name), s.srv.MaxNameLength())
	s.cleanupDrop(t, name)
	return name
}

// takeSnapshot snapshots tenant into a new name and opens it.
func (s *suite) takeSnapshot(t *testing.T, tenant string) (string, *dialect.Database) {
	t.Helper()
	name := s.snapshotName(t, tenant)
	require.NoError(t, s.snapshotter().Snapshot(t.Context(), tenant, name), "snapshot %s", tenant)
	return name, s.open(t, name)
}

// restore closes db (Restore wants no open pool on the target), restores
// tenant from snap and opens it again.
func (s *suite) restore(t *testing.T, db *dialect.Database, snap, tenant string) *dialect.Database {
	t.Helper()
	require.NoError(t, db.Close())
	require.NoError(t, s.snapshotter().Restore(t.Context(), snap, tenant), "restore %s from %s", tenant, snap)
	return s.open(t, tenant)
}

func (s *suite) checksums(t *testing.T, db *dialect.Database) map[string]string {
	t.Helper()
	sums, err := snapshot.Checksums(t.Context(), s.d, db)
	require.NoError(t, err)
	return sums
}

func (s *suite) testSnapshotRestore(t *testing.T) {
	ctx := t.Context()
	tenant, db := s.schoolTenant(t)
	before := s.checksums(t, db)
	require.Contains(t, before, "students")
	require.NotContains(t, before, "herd_schema_migrations", "herd's own tables are left out")

	// The snapshot is taken while db's pool is open, and equals it.
	snap, sdb := s.takeSnapshot(t, tenant)
	require.NoError(t, snapshot.Verify(ctx, s.d, db, sdb))
	require.Equal(t, before, s.checksums(t, sdb))

	// The counters as of the snapshot: rows were deleted from the end of
	// students, so its counter is ahead of max(id)+1.
	var maxID int64
	require.NoError(t, db.DB.QueryRowContext(ctx, "SELECT MAX(id) FROM students").Scan(&maxID))
	next := s.nextIDs(t, db)
	require.Greater(t, next["students"], maxID+1, "the probe must start ahead of max(id)")

	// Change data and schema in the original.
	s.execAll(t, db,
		"INSERT INTO classes (name, section, academic_year, capacity) VALUES ('Grade 9', 'C', '2025-2026', 20)",
		"UPDATE students SET first_name = 'Renamed' WHERE admission_no = 'A-001'",
		"DELETE FROM class_enrollments WHERE roll_no = 7",
		"DELETE FROM attendance_notes",
		"ALTER TABLE students DROP COLUMN guardian_phone",
		"CREATE TABLE library_books (id INT NOT NULL PRIMARY KEY, title VARCHAR(100) NOT NULL)",
		"INSERT INTO library_books (id, title) VALUES (1, 'Gitanjali')",
	)
	require.NotEqual(t, before, s.checksums(t, db))
	var diff *snapshot.DiffError
	require.ErrorAs(t, snapshot.Verify(ctx, s.d, db, sdb), &diff)

	// Restore, twice: the snapshot stays intact. The second time, as herd
	// does, under the tenant's migration lock, held on a connection to the
	// target that must survive the restore.
	for round := 1; round <= 2; round++ {
		if round == 1 {
			db = s.restore(t, db, snap, tenant)
		} else {
			session := s.open(t, tenant)
			unlock, err := s.d.Lock(ctx, conn(t, session), session)
			require.NoError(t, err)
			db = s.restore(t, db, snap, tenant)
			require.NoError(t, unlock(ctx), "the migration lock outlives the restore")
		}
		require.NoError(t, snapshot.Verify(ctx, s.d, db, sdb), "round %d", round)
		require.Equal(t, before, s.checksums(t, db), "round %d", round)
		require.False(t, s.tableExists(t, db, "library_books"), "round %d", round)
		var n int
		require.NoError(t, db.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM active_students").Scan(&n), "the view is back")
		require.Equal(t, 2, n)
		require.Equal(t, next, s.nextIDs(t, db), "round %d: next generated ids", round)
		require.NoError(t, snapshot.Verify(ctx, s.d, sdb, s.open(t, snap)), "the snapshot is intact")
		s.execAll(t, db, "UPDATE students SET status = 'graduated'") // differs from the snapshot again
	}
}

func (s *suite) testSnapshotVerifyDiffers(t *testing.T) {
	ctx := t.Context()
	tenant, db := s.schoolTenant(t)
	_, sdb := s.takeSnapshot(t, tenant)
	require.NoError(t, snapshot.Verify(ctx, s.d, db, sdb))

	// One row differs.
	s.execAll(t, db, "UPDATE students SET first_name = 'Changed' WHERE admission_no = 'A-002'")
	diff := requireDiff(t, snapshot.Verify(ctx, s.d, db, sdb))
	require.Len(t, diff.Differences, 1, diff.Error())
	require.Equal(t, "students", diff.Differences[0].Table)
	require.Contains(t, diff.Differences[0].What, "rows differ")
	require.Equal(t, db.Name, diff.A)

	// Back as it was, then a column differs.
	s.execAll(t, db, "UPDATE students SET first_name = 'Zoë' WHERE admission_no = 'A-002'")
	require.NoError(t, snapshot.Verify(ctx, s.d, db, sdb))
	s.execAll(t, sdb, "ALTER TABLE classes ADD COLUMN note VARCHAR(20) NULL")
	diff = requireDiff(t, snapshot.Verify(ctx, s.d, db, sdb))
	require.Len(t, diff.Differences, 1, diff.Error())
	require.Equal(t, "classes", diff.Differences[0].Table)
	require.Contains(t, diff.Differences[0].What, `column "note" only in`)
	require.Contains(t, diff.Error(), `table "classes"`)

	// A table only on one side.
	s.execAll(t, db, "DROP TABLE attendance_notes")
	diff = requireDiff(t, snapshot.Verify(ctx, s.d, db, sdb))
	require.Len(t, diff.Differences, 2, diff.Error())
	require.Equal(t, "attendance_notes", diff.Differences[0].Table)
	require.Contains(t, diff.Differences[0].What, "only in")
}

func requireDiff(t *testing.T, err error) *snapshot.DiffError {
	t.Helper()
	var diff *snapshot.DiffError
	require.ErrorAs(t, err, &diff)
	return diff
}

// testSnapshotConsistent snapshots a tenant while transactions write a
// teacher and their class in one commit: the copy must hold both or
// neither of every pair, as one transaction would see them.
func (s *suite) testSnapshotConsistent(t *testing.T) {
	ctx := t.Context()
	tenant, db := s.schoolTenant(t)
	count := func(db *dialect.Database) (teachers, links int) {
		t.Helper()
		require.NoError(t, db.DB.QueryRowContext(ctx, "SELECT (SELECT COUNT(*) FROM teachers), (SELECT COUNT(*) FROM class_teachers)").Scan(&teachers, &links))
		return teachers, links
	}
	teachers0, links0 := count(db)
	var classID int64
	require.NoError(t, db.DB.QueryRowContext(ctx, "SELECT MIN(id) FROM classes").Scan(&classID))

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		commits  int
		writeErr error
	)
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			err := func() error {
				tx, err := db.DB.BeginTx(ctx, nil)
				if err != nil {
					return err
				}
				defer tx.Rollback() //nolint:errcheck // after Commit, a no-op
				id, err := s.insertID(ctx, tx, "INSERT INTO teachers (employee_code, first_name, last_name) VALUES (?, ?, ?)",
					fmt.Sprintf("W%06d", i), "Writer", "Concurrent")
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, s.bind("INSERT INTO class_teachers (class_id, teacher_id) VALUES (?, ?)"), classID, id); err != nil {
					return err
				}
				return tx.Commit()
			}()
			mu.Lock()
			if err != nil {
				writeErr = err
			} else {
				commits++
			}
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return commits >= 3 || writeErr != nil })
	snap := s.snapshotName(t, tenant)
	snapErr := s.snapshotter().Snapshot(ctx, tenant, snap)
	close(stop)
	wg.Wait()
	require.NoError(t, writeErr)
	require.NoError(t, snapErr)

	sdb := s.open(t, snap)
	teachers, links := count(sdb)
	require.Greater(t, teachers, teachers0)
	require.Equal(t, teachers-teachers0, links-links0, "teachers and their classes were copied as of one moment")
	var orphans int
	require.NoError(t, sdb.DB.QueryRowContext(ctx,
		"SELECT COUNT(*) FROM class_teachers ct LEFT JOIN teachers t ON t.id = ct.teacher_id WHERE t.id IS NULL").Scan(&orphans))
	require.Zero(t, orphans)
	t.Logf("%d writes committed; the snapshot holds %d", commits, teachers-teachers0)
}

// waitFor polls cond until it holds, failing after patience.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		require.True(t, time.Now().Before(deadline), "condition not met within %v", patience)
		time.Sleep(5 * time.Millisecond)
	}
}

func (s *suite) testSnapshotRefuses(t *testing.T) {
	ctx := t.Context()
	sn := s.snapshotter()
	tenant, db := s.tenant(t)
	s.execAll(t, db, "CREATE TABLE herd_refuse_probe (id INT NOT NULL PRIMARY KEY)")
	other, _ := s.tenant(t)

	err := sn.Snapshot(ctx, tenant, other)
	require.Error(t, err, "snapshot onto an existing database")
	require.True(t, strings.HasPrefix(err.Error(), s.d.Name()+": "), err.Error())
	ok, err := s.srv.Exists(ctx, other)
	require.NoError(t, err)
	require.True(t, ok, "a failed snapshot leaves an existing database alone")

	missing := herdtest.Name(t, "herd_t_")
	dst := s.snapshotName(t, missing)
	require.Error(t, sn.Snapshot(ctx, missing, dst), "snapshot of a missing database")
	ok, err = s.srv.Exists(ctx, dst)
	require.NoError(t, err)
	require.False(t, ok, "a failed snapshot leaves nothing behind")

	require.Error(t, sn.Snapshot(ctx, tenant, tenant), "snapshot onto itself")
	require.Error(t, sn.Snapshot(ctx, tenant, "Bad-Name"))
	require.Error(t, sn.Snapshot(ctx, tenant, tenant+strings.Repeat("x", s.srv.MaxNameLength())))
	require.Error(t, sn.Restore(ctx, dst, tenant), "restore from a missing snapshot")
	require.True(t, s.tableExists(t, db, "herd_refuse_probe"), "a refused restore leaves the target alone")
}

// execAll runs each statement on db.
func (s *suite) execAll(t *testing.T, db *dialect.Database, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		_, err := db.DB.ExecContext(t.Context(), q)
		require.NoError(t, err, q)
	}
}

// execer is what insertID runs on: *sql.DB or *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// insertID runs a portable INSERT (with ? markers) and returns the id the
// engine generated for the row.
func (s *suite) insertID(ctx context.Context, db execer, query string, args ...any) (int64, error) {
	var id int64
	if r, ok := s.d.(dialect.InsertReturning); ok {
		err := db.QueryRowContext(ctx, s.bind(query)+r.ReturningID(), args...).Scan(&id)
		return id, err
	}
	res, err := db.ExecContext(ctx, s.bind(query), args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

func (s *suite) mustInsertID(t *testing.T, db *dialect.Database, query string, args ...any) int64 {
	t.Helper()
	id, err := s.insertID(t.Context(), db.DB, query, args...)
	require.NoError(t, err, query)
	return id
}

// nextIDs inserts a row without an id into each table with a generated
// key and returns the ids the engine chose.
func (s *suite) nextIDs(t *testing.T, db *dialect.Database) map[string]int64 {
	t.Helper()
	b := make([]byte, 4)
	_, err := rand.Read(b)
	require.NoError(t, err)
	probe := "P-" + hex.EncodeToString(b)
	out := map[string]int64{
		"students": s.mustInsertID(t, db, "INSERT INTO students (admission_no, first_name, last_name) VALUES (?, ?, ?)", probe, "Probe", "Row"),
		"fee_transactions": s.mustInsertID(t, db, "INSERT INTO fee_transactions (fee_assignment_id, amount, payment_method) "+
			"VALUES ((SELECT MIN(id) FROM fee_assignments), 1, 'cash')"),
	}
	if s.d.Name() == "postgres" {
		out["receipts"] = s.mustInsertID(t, db, "INSERT INTO receipts (kind) VALUES ('refund')")
		var no int64
		require.NoError(t, db.DB.QueryRowContext(t.Context(), "SELECT receipt_no FROM receipts WHERE id = $1", out["receipts"]).Scan(&no))
		out["receipt_no_seq"] = no
	}
	return out
}

// schoolTenant creates a tenant with the School ERP example's tenant
// schema at v2.0.0, sample rows, herd's ledger and a few extra objects,
// and returns its name and an open pool on it.
func (s *suite) schoolTenant(t *testing.T) (string, *dialect.Database) {
	t.Helper()
	name, db := s.tenant(t)
	fsys := schoolerp.Files()
	for _, file := range tenantMigrations(t, fsys, s.d.Name()) {
		s.apply(t, db, fsys, file)
	}
	s.execAll(t, db, extraSchema[s.d.Name()]...)
	s.execAll(t, db,
		"CREATE TABLE attendance_notes (student_id BIGINT NULL, note VARCHAR(100) NULL)",
		"CREATE VIEW active_students AS SELECT id, first_name FROM students WHERE status = 'active'",
	)
	s.seedSchool(t, db)
	return name, db
}

// extraSchema adds, per engine, objects the example lacks.
var extraSchema = map[string][]string{
	"postgres": {
		"CREATE TYPE receipt_kind AS ENUM ('fee', 'refund', 'naïve ☃')",
		"CREATE SEQUENCE receipt_no_seq AS BIGINT START WITH 1000 INCREMENT BY 5",
		"CREATE TABLE receipts (id SERIAL PRIMARY KEY, receipt_no BIGINT NOT NULL DEFAULT nextval('receipt_no_seq'), " +
			"kind receipt_kind NOT NULL DEFAULT 'fee', payload JSON NULL, amount_cents BIGINT GENERATED ALWAYS AS (receipt_no * 100) STORED, " +
			"body TEXT COLLATE \"C\" NULL, raw BYTEA NULL, tags TEXT[] NULL, at TIMESTAMPTZ NULL)",
		"CREATE UNIQUE INDEX receipts_no ON receipts (receipt_no DESC) WHERE kind <> 'refund'",
		"CREATE VIEW receipt_totals AS SELECT kind, COUNT(*) AS n FROM receipts GROUP BY kind",
		"CREATE VIEW refund_totals AS SELECT n FROM receipt_totals WHERE kind = 'refund'",
	},
}

// tenantMigrations lists the example's tenant up files for engine, in
// order: the .engine. override of a migration where there is one, else its
// plain file. Chunked migrations (herd:chunked) are left out: their
// statement needs herd to bind each range, and the suite seeds its own
// rows after the schema is made.
func tenantMigrations(t *testing.T, fsys fs.FS, engine string) []string {
	t.Helper()
	chosen := map[string]string{} // migration (dir/base) → file
	engines := []string{"sqlite", "postgres", "mysql"}
	err := fs.WalkDir(fsys, "migrations/tenant", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(p, ".up.sql") {
			return err
		}
		if body, err := fs.ReadFile(fsys, p); err != nil || source.Declares(string(body), "chunked") {
			return err
		}
		base := strings.TrimSuffix(p, ".up.sql")
		for _, eng := range engines {
			if m, ok := strings.CutSuffix(base, "."+eng); ok {
				if eng == engine {
					chosen[m] = p
				}
				return nil
			}
		}
		if _, ok := chosen[base]; !ok {
			chosen[base] = p
		}
		return nil
	})
	require.NoError(t, err)
	keys := make([]string, 0, len(chosen))
	for k := range chosen {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := strings.Compare(path.Dir(a), path.Dir(b)); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	files := make([]string, len(keys))
	for i, k := range keys {
		files[i] = chosen[k]
	}
	require.Len(t, files, 7, "the example's tenant migrations up to v2.0.0")
	return files
}

// seedSchool writes the sample rows: NULLs, unicode, JSON, booleans,
// timestamps, decimals, a table without a primary key, herd's ledger, and
// rows deleted from the end of tables so that their counters are ahead of
// max(id).
func (s *suite) seedSchool(t *testing.T, db *dialect.Database) {
	t.Helper()
	ctx := t.Context()
	exec := func(query string, args ...any) {
		t.Helper()
		_, err := db.DB.ExecContext(ctx, s.bind(query), args...)
		require.NoError(t, err, query)
	}
	c1 := s.mustInsertID(t, db, "INSERT INTO classes (name, section, academic_year, room, capacity, created_at) VALUES (?, ?, ?, ?, ?, ?)",
		"Grade 5", "A", "2024-2025", nil, 30, ts)
	c2 := s.mustInsertID(t, db, "INSERT INTO classes (name, section, academic_year, room, capacity, created_at) VALUES (?, ?, ?, ?, ?, ?)",
		"Grade 6 — Ünïcode", "B", "2024-2025", "R-12", 35, ts)
	t1 := s.mustInsertID(t, db, "INSERT INTO teachers (employee_code, first_name, last_name, email, phone, subject, hired_on, is_active, created_at) "+
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", "T001", "Ada", "Lovelace", "ada@example.org", nil, "Maths", "2020-01-15", true, ts)
	t2 := s.mustInsertID(t, db, "INSERT INTO teachers (employee_code, first_name, last_name, email, phone, subject, hired_on, is_active, created_at) "+
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", "T002", "Søren", "Kierkegaard 李", nil, "+45 1234", nil, nil, false, ts.Add(time.Hour))

	student := "INSERT INTO students (admission_no, first_name, last_name, date_of_birth, guardian_name, guardian_phone, status, " +
		"admitted_on, created_at, custom_fields, fee_structure_locked) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	var students []int64
	for i, row := range [][]any{
		{"A-001", "Aarav", "Sharma", "2014-03-09", "Priya Sharma", "+91 98765 43210", "active", "2020-06-01", ts,
			`{"house": "Tagore", "langs": ["hi", "en"], "note": "naïve ☃"}`, true},
		{"A-002", "Zoë", "Ñúñez 🎓", nil, nil, nil, "active", nil, ts.Add(time.Minute), `{}`, false},
		{"A-003", "Li", "Wei", "2013-12-31", "Wei Jun", nil, "transferred", "2019-06-01", ts.Add(2 * time.Minute), nil, false},
		{"A-004", "Deleted", "Later", nil, nil, nil, "withdrawn", nil, ts, nil, false},
		{"A-005", "Deleted", "Too", nil, nil, nil, "withdrawn", nil, ts, nil, false},
	} {
		students = append(students, s.mustInsertID(t, db, student, row...))
		require.Positive(t, students[i])
	}
	exec("DELETE FROM students WHERE id IN (?, ?)", students[3], students[4])

	exec("INSERT INTO class_enrollments (class_id, student_id, roll_no, enrolled_on) VALUES (?, ?, ?, ?)", c1, students[0], 1, "2024-06-01")
	exec("INSERT INTO class_enrollments (class_id, student_id, roll_no, enrolled_on) VALUES (?, ?, ?, ?)", c1, students[1], nil, nil)
	exec("INSERT INTO class_enrollments (class_id, student_id, roll_no, enrolled_on) VALUES (?, ?, ?, ?)", c2, students[2], 7, "2024-06-02")
	exec("INSERT INTO class_teachers (class_id, teacher_id, subject, is_class_teacher) VALUES (?, ?, ?, ?)", c1, t1, "Maths", true)
	exec("INSERT INTO class_teachers (class_id, teacher_id, subject, is_class_teacher) VALUES (?, ?, ?, ?)", c2, t2, nil, false)
	exec("INSERT INTO custom_field_values (student_id, field_key, field_value, updated_at) VALUES (?, ?, ?, ?)", students[0], "blood_group", "O+", ts)
	exec("INSERT INTO custom_field_values (student_id, field_key, field_value, updated_at) VALUES (?, ?, ?, ?)", students[1], "nickname", nil, ts)

	fee := "INSERT INTO fee_assignments (student_id, fee_code, academic_year, amount, discount, due_date, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
	f1 := s.mustInsertID(t, db, fee, students[0], "TUITION", "2024-2025", "1500.50", "0", "2024-07-01", "partial", ts)
	s.mustInsertID(t, db, fee, students[1], "BUS", "2024-2025", "300.00", "25.25", nil, "pending", ts)
	payment := "INSERT INTO fee_transactions (fee_assignment_id, amount, late_fee, payment_method, reference_no, status, paid_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
	s.mustInsertID(t, db, payment, f1, "500.25", "0", "upi", "UPI-ü-1", "completed", ts, ts)
	last := s.mustInsertID(t, db, payment, f1, "100", "10.5", "cash", nil, "pending", ts, ts)
	exec("DELETE FROM fee_transactions WHERE id = ?", last)

	for _, note := range []any{"late", "late", nil, "早退"} { // duplicates: no primary key
		exec("INSERT INTO attendance_notes (student_id, note) VALUES (?, ?)", students[0], note)
	}

	ledger := dialect.Qualify(s.d, db, "herd_schema_migrations")
	exec(s.d.CreateLedger(ledger))
	exec("INSERT INTO "+ledger+" (migration_id, version, kind, checksum, state, direction, applied_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
		"v2.0.0/007_add_fee_transactions", "2.0.0", "schema", strings.Repeat("ab", 32), "applied", "up", ts)

	if s.d.Name() == "postgres" {
		for i, kind := range []string{"fee", "naïve ☃", "refund"} {
			exec("INSERT INTO receipts (kind, payload, body, raw, tags, at) VALUES (?, ?, ?, ?, ?, ?)",
				kind, fmt.Sprintf(`{"b": %d, "a": [1, 2]}`, i), "Ω body", []byte{0, 1, 2, 255}, "{x,y}", ts)
		}
		exec("DELETE FROM receipts WHERE kind = 'refund'")
	}
}
