package execute_test

import (
	"context"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/plan"
	"github.com/herdhq/herd/source"
)

// migrations is a tenant source in plain SQL every engine runs: two
// releases that apply cleanly. The maps below add a third, v1.2.0, that
// fails at its second statement.
var migrations = map[string]string{
	"tenant/v1.0.0/001_pupils.up.sql":   "CREATE TABLE pupils (id INT PRIMARY KEY, name VARCHAR(50));\nINSERT INTO pupils (id, name) VALUES (1, 'ada');\n",
	"tenant/v1.0.0/001_pupils.down.sql": "DROP TABLE pupils;\n",
	"tenant/v1.1.0/002_fees.up.sql":     "CREATE TABLE fees (id INT PRIMARY KEY, pupil_id INT);\n",
	"tenant/v1.1.0/002_fees.down.sql":   "DROP TABLE fees;\n",
}

// broken adds, at v1.2.0, a schema migration that makes a table and then
// fails.
var broken = map[string]string{
	"tenant/v1.2.0/003_broken.up.sql":   "CREATE TABLE broken (id INT);\nINSERT INTO no_such_table (id) VALUES (1);\n",
	"tenant/v1.2.0/003_broken.down.sql": "DROP TABLE broken;\n",
}

// dataMigration adds, at v1.2.0, a data migration that writes a row and
// then fails.
var dataMigration = map[string]string{
	"tenant/v1.2.0/003_backfill.up.sql": "-- herd:kind data\nINSERT INTO pupils (id, name) VALUES (2, 'bob');\nINSERT INTO no_such_table (id) VALUES (1);\n",
}

// noTransaction adds, at v1.2.0, a migration that asks to run outside a
// transaction and fails at its second statement.
var noTransaction = map[string]string{
	"tenant/v1.2.0/003_index.up.sql": "-- herd:no-transaction\nCREATE INDEX pupils_name ON pupils (name);\nINSERT INTO no_such_table (id) VALUES (1);\n",
}

// bundle is one engine's scratch tenant database, its source and an
// Executor for it.
type bundle struct {
	ctx context.Context
	d   dialect.Dialect
	db  *dialect.Database
	src *source.Source
	ex  *execute.Executor
	rec *recorder
}

// setup opens a scratch database on e and loads the source of the given
// files (path → SQL), merged in order.
func setup(t *testing.T, e herdtest.Engine, files ...map[string]string) *bundle {
	t.Helper()
	d, db := e.Scratch(t, "herd_x_")
	fsys := fstest.MapFS{}
	for _, f := range files {
		for p, body := range f {
			fsys[p] = &fstest.MapFile{Data: []byte(body)}
		}
	}
	src, err := source.Load(fsys, []source.Engine{d}, nil)
	require.NoError(t, err)
	return &bundle{ctx: t.Context(), d: d, db: db, src: src, ex: execute.New(d, nil), rec: &recorder{}}
}

// migrate brings the database to version to under its lock, as herd
// migrate does, and returns what Apply returned.
func (b *bundle) migrate(t *testing.T, to string) error {
	t.Helper()
	s, err := b.ex.Lock(b.ctx, b.db)
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close(b.ctx)) }()
	entries, err := s.Ledger(b.ctx)
	require.NoError(t, err)
	version, err := source.ParseVersion(to)
	require.NoError(t, err)
	p, err := plan.Make(b.src, source.Tenant, execute.Applied(entries), version, plan.Options{Engine: b.d.Name()})
	require.NoError(t, err)
	return s.Apply(b.ctx, p, b.rec)
}

// ledger reads the database's ledger under its lock.
func (b *bundle) ledger(t *testing.T) []execute.Entry {
	t.Helper()
	s, err := b.ex.Lock(b.ctx, b.db)
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close(b.ctx)) }()
	entries, err := s.Ledger(b.ctx)
	require.NoError(t, err)
	return entries
}

// applied returns the IDs of the ledger's applied rows, and checks that
// each carries its migration's checksum for the engine.
func (b *bundle) applied(t *testing.T) []string {
	t.Helper()
	var ids []string
	for _, e := range b.ledger(t) {
		if e.State != execute.StateApplied {
			continue
		}
		m := b.src.Find(source.Tenant, e.ID)
		require.NotNil(t, m, "ledger row %s", e.ID)
		require.Equal(t, m.Checksum(b.d.Name()), e.Checksum, "checksum of %s", e.ID)
		require.Equal(t, plan.Up, e.Direction, "direction of %s", e.ID)
		ids = append(ids, e.ID)
	}
	return ids
}

// dirty returns the ledger's dirty row, if any.
func (b *bundle) dirty(t *testing.T) (execute.Entry, bool) {
	t.Helper()
	for _, e := range b.ledger(t) {
		if e.State == execute.StateDirty {
			return e, true
		}
	}
	return execute.Entry{}, false
}

// tables returns which of names exist in the database.
func (b *bundle) tables(t *testing.T, names ...string) []string {
	t.Helper()
	var out []string
	for _, n := range names {
		ok, err := b.d.TableExists(b.ctx, b.db.DB, b.db, n)
		require.NoError(t, err)
		if ok {
			out = append(out, n)
		}
	}
	return out
}

// recorder keeps the results Apply records.
type recorder struct{ results []execute.Result }

func (r *recorder) Record(_ context.Context, res execute.Result) error {
	r.results = append(r.results, res)
	return nil
}

// TestApplyAndRollBack moves a fresh database up and down a path and
// checks the ledger and the schema after each move.
func TestApplyAndRollBack(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, migrations)
		require.Empty(t, b.ledger(t), "a fresh database has no ledger rows")
		moves := []struct {
			name    string
			to      string
			applied []string
			tables  []string
		}{
			{"up a path", "1.1.0", []string{"v1.0.0/001_pupils", "v1.1.0/002_fees"}, []string{"pupils", "fees"}},
			{"already there", "1.1.0", []string{"v1.0.0/001_pupils", "v1.1.0/002_fees"}, []string{"pupils", "fees"}},
			{"down one", "1.0.0", []string{"v1.0.0/001_pupils"}, []string{"pupils"}},
			{"up again", "1.1.0", []string{"v1.0.0/001_pupils", "v1.1.0/002_fees"}, []string{"pupils", "fees"}},
		}
		for _, m := range moves {
			b.rec.results = nil
			require.NoError(t, b.migrate(t, m.to), m.name)
			require.Equal(t, m.applied, b.applied(t), m.name)
			require.Equal(t, m.tables, b.tables(t, "pupils", "fees"), m.name)
			for _, r := range b.rec.results {
				require.NoError(t, r.Err, "%s: recorded %s", m.name, r.Migration.ID())
			}
		}
		require.Len(t, b.rec.results, 1, "the last move recorded its one step")
		require.Equal(t, "v1.1.0/002_fees", b.rec.results[0].Migration.ID())
	})
}

// TestFailingStatement checks what a failing statement leaves: on an
// engine whose DDL is transactional, a ledger and schema as they were
// before the run (the path rolls back whole); where DDL commits as it runs
// (MySQL), the steps before the failing one applied and the failing one
// dirty, naming its statement. Either way the error names the migration,
// the statement and its line.
func TestFailingStatement(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		tests := []struct {
			name string
			from string // "" for a fresh database
			// before is what is applied before the run.
			before []string
		}{
			{name: "last step of one", from: "1.1.0", before: []string{"v1.0.0/001_pupils", "v1.1.0/002_fees"}},
			{name: "last step of a path", before: nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				b := setup(t, e, migrations, broken)
				if tt.from != "" {
					require.NoError(t, b.migrate(t, tt.from))
				}
				err := b.migrate(t, "1.2.0")
				var me *execute.MigrationError
				require.ErrorAs(t, err, &me)
				require.Equal(t, "v1.2.0/003_broken", me.Migration)
				require.Equal(t, 2, me.Statement)
				require.Equal(t, "tenant/v1.2.0/003_broken.up.sql", me.File)
				require.Equal(t, 2, me.Line)
				require.ErrorContains(t, err, "v1.2.0/003_broken (up) statement 2 (tenant/v1.2.0/003_broken.up.sql:2)")
				last := b.rec.results[len(b.rec.results)-1]
				require.Equal(t, "v1.2.0/003_broken", last.Migration.ID())
				require.Error(t, last.Err, "the failure is recorded")

				if dialect.HasTransactionalDDL(b.d) {
					require.Equal(t, tt.before, b.applied(t), "the ledger is as it was")
					_, dirty := b.dirty(t)
					require.False(t, dirty)
					require.Equal(t, tables(tt.before), b.tables(t, "pupils", "fees", "broken"), "the schema is as it was")
					return
				}
				require.Equal(t, []string{"v1.0.0/001_pupils", "v1.1.0/002_fees"}, b.applied(t),
					"each step before the failing one committed")
				d, ok := b.dirty(t)
				require.True(t, ok, "the failing step is dirty")
				require.Equal(t, "v1.2.0/003_broken", d.ID)
				require.Equal(t, 2, d.StatementsTotal)
				require.Equal(t, 1, d.StatementsDone)
				require.Equal(t, 2, d.StatementStarted)
				require.NotEmpty(t, d.Error)
				require.False(t, d.Uncertain(), "a failure is no uncertainty")
				require.Equal(t, []string{"pupils", "fees", "broken"}, b.tables(t, "pupils", "fees", "broken"),
					"the DDL before the failure committed")
			})
		}
	})
}

// tables are the tables the migrations of ids create.
func tables(ids []string) []string {
	made := map[string]string{"v1.0.0/001_pupils": "pupils", "v1.1.0/002_fees": "fees"}
	var out []string
	for _, id := range ids {
		out = append(out, made[id])
	}
	return out
}

// TestDataMigrationIsAtomic checks that a migration of DML only runs in a
// transaction on every engine, MySQL included: its failure leaves neither
// its rows nor a ledger row.
func TestDataMigrationIsAtomic(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, migrations, dataMigration)
		require.NoError(t, b.migrate(t, "1.1.0"))
		err := b.migrate(t, "1.2.0")
		var me *execute.MigrationError
		require.ErrorAs(t, err, &me)
		require.Equal(t, "v1.2.0/003_backfill", me.Migration)
		require.Equal(t, 2, me.Statement)
		require.Equal(t, []string{"v1.0.0/001_pupils", "v1.1.0/002_fees"}, b.applied(t))
		_, dirty := b.dirty(t)
		require.False(t, dirty)
		var n int
		require.NoError(t, b.db.DB.QueryRowContext(b.ctx, "SELECT COUNT(*) FROM pupils").Scan(&n))
		require.Equal(t, 1, n, "the first INSERT rolled back with the second")
	})
}

// TestNoTransactionFollowsTheDirtyProtocol checks that a migration marked
// herd:no-transaction runs statement by statement on every engine: a
// failure leaves it dirty at the failing statement, with the statements
// before it done and recorded.
func TestNoTransactionFollowsTheDirtyProtocol(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, migrations, noTransaction)
		require.NoError(t, b.migrate(t, "1.1.0"))
		err := b.migrate(t, "1.2.0")
		var me *execute.MigrationError
		require.ErrorAs(t, err, &me)
		require.Equal(t, "v1.2.0/003_index", me.Migration)
		require.Equal(t, 2, me.Statement)
		require.Equal(t, []string{"v1.0.0/001_pupils", "v1.1.0/002_fees"}, b.applied(t))
		d, ok := b.dirty(t)
		require.True(t, ok)
		require.Equal(t, "v1.2.0/003_index", d.ID)
		require.Equal(t, plan.Up, d.Direction)
		require.Equal(t, 1, d.StatementsDone)
		require.Equal(t, 2, d.StatementStarted)
		require.Contains(t, d.Describe(), "statement 2 of 2 failed after 1 done")

		// A dirty database refuses every plan until it is repaired.
		s, err := b.ex.Lock(b.ctx, b.db)
		require.NoError(t, err)
		defer s.Close(b.ctx)
		entries, err := s.Ledger(b.ctx)
		require.NoError(t, err)
		_, err = plan.Make(b.src, source.Tenant, execute.Applied(entries), b.src.Versions(source.Tenant)[1], plan.Options{Engine: b.d.Name()})
		var refused *plan.RefusedError
		require.ErrorAs(t, err, &refused)
		require.Equal(t, plan.Dirty, refused.Reason)
	})
}

// TestOwnerFencesTheDatabase checks that an Executor working for one
// fleet claims a database no fleet owns, and that one working for another
// fleet is refused it before anything is written.
func TestOwnerFencesTheDatabase(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, migrations)
		mine := execute.New(b.d, &execute.Options{Owner: &execute.Owner{Fleet: "fleet-a", Environment: "production"}})
		theirs := execute.New(b.d, &execute.Options{Owner: &execute.Owner{Fleet: "fleet-b", Environment: "staging"}})
		tests := []struct {
			name  string
			ex    *execute.Executor
			owned bool
		}{
			{"first claims", mine, false},
			{"owner again", mine, false},
			{"another fleet", theirs, true},
		}
		for _, tt := range tests {
			s, err := tt.ex.Lock(b.ctx, b.db)
			var oe *execute.OwnerError
			if tt.owned {
				require.ErrorAs(t, err, &oe, tt.name)
				// The refusal names the owner the first lock recorded.
				require.Equal(t, "fleet-a", oe.Owner.Fleet, tt.name)
				require.Equal(t, "fleet-b", oe.Self.Fleet, tt.name)
				continue
			}
			require.NoError(t, err, tt.name)
			require.NoError(t, s.Close(b.ctx), tt.name)
		}
		require.Empty(t, b.ledger(t), "the refused executor wrote nothing")
	})
}

// A discarded session lets go of the lock with its connection: the next
// session takes it at once, while the lock of a session still open holds.
func TestDiscardReleasesTheLock(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, migrations)
		s, err := b.ex.Lock(b.ctx, b.db)
		require.NoError(t, err)
		held, cancel := context.WithTimeout(b.ctx, 300*time.Millisecond)
		_, err = b.ex.Lock(held, b.db)
		cancel()
		require.Error(t, err, "the lock is held while the session is open")

		require.NoError(t, s.Discard(b.ctx))
		next, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		defer cancel()
		s, err = b.ex.Lock(next, b.db)
		require.NoError(t, err, "a discarded session released the lock")
		require.NoError(t, s.Close(b.ctx))
	})
}
