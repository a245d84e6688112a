package execute_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/internal/herdtest"
)

// chunkTable makes, at v1.0.0, table t keyed by key of type keyType, with
// a witness column touched and a limit lim that a CHECK holds touched to
// (a row whose lim is 0 fails the backfill); v1.1.0 backfills it chunked,
// three keys a range.
func chunkTable(keyType, header string) map[string]string {
	return map[string]string{
		"tenant/v1.0.0/001_t.up.sql": fmt.Sprintf("CREATE TABLE t (k %s NOT NULL PRIMARY KEY, touched INT NOT NULL DEFAULT 0, lim INT NOT NULL DEFAULT 1, CHECK (touched <= lim));\n", keyType),
		"tenant/v1.1.0/002_backfill.up.sql": header + "\n" +
			"UPDATE t SET touched = touched + 1 WHERE k > :from AND k <= :to;\n",
		"tenant/v1.1.0/002_backfill.down.sql": "UPDATE t SET touched = 0;\n",
	}
}

// insert adds rows to t with keys keys and lim 1, but 0 for the keys in
// failing.
func (b *bundle) insert(t *testing.T, keys []any, failing ...any) {
	t.Helper()
	for _, k := range keys {
		lim := 1
		for _, f := range failing {
			if f == k {
				lim = 0
			}
		}
		_, err := b.db.DB.ExecContext(b.ctx, dialect.Bind(b.d, "INSERT INTO t (k, lim) VALUES (?, ?)"), k, lim)
		require.NoError(t, err)
	}
}

// touched returns how many rows of t were touched how often.
func (b *bundle) touched(t *testing.T) map[int]int {
	t.Helper()
	rows, err := b.db.DB.QueryContext(b.ctx, "SELECT touched, COUNT(*) FROM t GROUP BY touched")
	require.NoError(t, err)
	defer rows.Close()
	out := map[int]int{}
	for rows.Next() {
		var touched, n int
		require.NoError(t, rows.Scan(&touched, &n))
		out[touched] = n
	}
	require.NoError(t, rows.Err())
	return out
}

// row returns the ledger row of id.
func (b *bundle) row(t *testing.T, id string) execute.Entry {
	t.Helper()
	for _, e := range b.ledger(t) {
		if e.ID == id {
			return e
		}
	}
	t.Fatalf("no ledger row %s", id)
	return execute.Entry{}
}

// A chunked backfill walks integer and text keys, with gaps and negative
// keys, and an empty table, touching every row once, and records its
// progress in the ledger.
func TestChunkedWalk(t *testing.T) {
	t.Parallel()
	ints := []any{-5, 1, 2, 3, 5, 8, 13, 21, 34, 1000}
	texts := []any{"a", "ab", "b", "c10", "c2", "m", "z", "zz"}
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		tests := []struct {
			name, keyType string
			keys          []any
			// from and last bound the last range.
			from, last string
		}{
			{"integer keys with gaps", "INTEGER", ints, "34", "1000"},
			{"text keys", "VARCHAR(20)", texts, "m", "zz"},
			{"empty table", "BIGINT", nil, "", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				b := setup(t, e, chunkTable(tt.keyType, "-- herd:chunked table=t key=k size=3"))
				var mu sync.Mutex
				var events []event.Event
				b.ex = execute.New(b.d, &execute.Options{Events: event.SinkFunc(func(ev event.Event) {
					mu.Lock()
					defer mu.Unlock()
					if ev.Type == event.Chunk {
						events = append(events, ev)
					}
				})})
				require.NoError(t, b.migrate(t, "1.0.0"))
				b.insert(t, tt.keys)
				require.NoError(t, b.migrate(t, "1.1.0"))
				if len(tt.keys) > 0 {
					require.Equal(t, map[int]int{1: len(tt.keys)}, b.touched(t), "every row touched once")
				}
				row := b.row(t, "v1.1.0/002_backfill")
				require.Equal(t, execute.StateApplied, row.State)
				require.NotNil(t, row.Chunk)
				require.Equal(t, int64(len(tt.keys)), row.Chunk.Rows)
				require.Equal(t, tt.last, row.Chunk.Last)
				require.NotEmpty(t, events, "the last range is reported")
				last := events[len(events)-1].Chunk
				require.True(t, last.Done)
				require.Equal(t, int64(len(tt.keys)), last.Rows)
				require.Equal(t, (len(tt.keys)+2)/3, last.Ranges, "ranges of three keys")
				require.Equal(t, tt.last, last.To)
				require.Equal(t, tt.from, last.From)
				require.Equal(t, 1.0, last.Share, "all of the span once done")
			})
		}
	})
}

// A range that fails rolls back alone: the ranges before it stay
// committed and recorded, the migration is dirty yet resumable, and the
// next run carries on at the failed range, touching every row once.
func TestChunkedResumesAfterAFailedRange(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, chunkTable("INTEGER", "-- herd:chunked table=t key=k size=3"))
		require.NoError(t, b.migrate(t, "1.0.0"))
		keys := []any{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
		b.insert(t, keys, 8) // the third range, (6, 9], fails
		err := b.migrate(t, "1.1.0")
		var me *execute.MigrationError
		require.ErrorAs(t, err, &me)
		require.Equal(t, 1, me.Statement)
		require.Contains(t, err.Error(), "tenant/v1.1.0/002_backfill.up.sql:2")
		require.Contains(t, err.Error(), "range of k above 6 up to 9")

		row := b.row(t, "v1.1.0/002_backfill")
		require.Equal(t, execute.StateDirty, row.State)
		require.True(t, row.Resumable())
		require.False(t, row.Uncertain())
		require.Equal(t, &execute.Progress{Last: "6", HasLast: true, Rows: 6}, row.Chunk)
		require.Contains(t, row.Describe(), "ranges up to key 6 committed")
		require.Equal(t, map[int]int{0: 4, 1: 6}, b.touched(t), "two ranges committed, the third rolled back")

		_, err = b.db.DB.ExecContext(b.ctx, "UPDATE t SET lim = 1")
		require.NoError(t, err)
		require.NoError(t, b.migrate(t, "1.1.0"))
		require.Equal(t, map[int]int{1: 10}, b.touched(t), "every row touched once")
		row = b.row(t, "v1.1.0/002_backfill")
		require.Equal(t, execute.StateApplied, row.State)
		require.Equal(t, &execute.Progress{Last: "10", HasLast: true, Rows: 10}, row.Chunk)

		require.NoError(t, b.migrate(t, "1.0.0"), "the down script runs as any other")
		require.Equal(t, map[int]int{0: 10}, b.touched(t))
	})
}

// A walk left part-way carries on in ranges from its last committed one
// even when the session runs chunked migrations whole (the tenant was
// found small since): a whole run would change the committed ranges'
// rows again.
func TestWholeChunksResumeAWalkInRanges(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, chunkTable("INTEGER", "-- herd:chunked table=t key=k size=3"))
		require.NoError(t, b.migrate(t, "1.0.0"))
		b.insert(t, []any{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 8)
		require.Error(t, b.migrate(t, "1.1.0"))
		require.Equal(t, map[int]int{0: 4, 1: 6}, b.touched(t))
		_, err := b.db.DB.ExecContext(b.ctx, "UPDATE t SET lim = 1")
		require.NoError(t, err)

		b.ex = execute.New(b.d, &execute.Options{WholeChunks: true})
		require.NoError(t, b.migrate(t, "1.1.0"))
		require.Equal(t, map[int]int{1: 10}, b.touched(t), "every row touched once")
		require.Equal(t, &execute.Progress{Last: "10", HasLast: true, Rows: 10}, b.row(t, "v1.1.0/002_backfill").Chunk,
			"it carried on in ranges")
	})
}

// A key herd cannot walk fails the migration before anything runs, naming
// the table and the key.
func TestChunkedKeyRefused(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		tests := []struct {
			name, table, header, want string
		}{
			{"no table", "CREATE TABLE u (k INT NOT NULL PRIMARY KEY, touched INT NOT NULL DEFAULT 0);",
				"-- herd:chunked table=t key=k", "table t, key k: there is no such table or column"},
			{"no column", "CREATE TABLE t (id INT NOT NULL PRIMARY KEY, k INT, touched INT NOT NULL DEFAULT 0);",
				"-- herd:chunked table=t key=kk", "table t, key kk: there is no such table or column"},
			{"not unique", "CREATE TABLE t (id INT NOT NULL PRIMARY KEY, k INT NOT NULL, touched INT NOT NULL DEFAULT 0);",
				"-- herd:chunked table=t key=k", "table t, key k: it is not unique"},
			{"part of a key", "CREATE TABLE t (k INT NOT NULL, j INT NOT NULL, touched INT NOT NULL DEFAULT 0, PRIMARY KEY (k, j));",
				"-- herd:chunked table=t key=k", "table t, key k: it is not unique"},
			{"nullable", "CREATE TABLE t (id INT NOT NULL PRIMARY KEY, k INT NULL UNIQUE, touched INT NOT NULL DEFAULT 0);",
				"-- herd:chunked table=t key=k", "table t, key k: it may hold NULL"},
			{"not integer or text", "CREATE TABLE t (k DECIMAL(10,2) NOT NULL PRIMARY KEY, touched INT NOT NULL DEFAULT 0);",
				"-- herd:chunked table=t key=k", "is neither an integer nor a text type"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				files := chunkTable("INT", tt.header)
				files["tenant/v1.0.0/001_t.up.sql"] = tt.table
				b := setup(t, e, files)
				require.NoError(t, b.migrate(t, "1.0.0"))
				err := b.migrate(t, "1.1.0")
				require.ErrorIs(t, err, execute.ErrChunkKey)
				require.ErrorContains(t, err, tt.want)
				require.Equal(t, []string{"v1.0.0/001_t"}, b.applied(t))
				_, dirty := b.dirty(t)
				require.False(t, dirty, "nothing was recorded")
			})
		}
	})
}

// A key that is not the primary key is walked where a unique index
// covers it alone.
func TestChunkedKeyByUniqueIndex(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		files := chunkTable("INT", "-- herd:chunked table=t key=k size=2")
		files["tenant/v1.0.0/001_t.up.sql"] = "CREATE TABLE t (id INT NOT NULL PRIMARY KEY, k INT NOT NULL, touched INT NOT NULL DEFAULT 0);\n" +
			"CREATE UNIQUE INDEX t_k ON t (k);\n"
		b := setup(t, e, files)
		require.NoError(t, b.migrate(t, "1.0.0"))
		require.NoError(t, b.migrate(t, "1.1.0"))
		require.Equal(t, []string{"v1.0.0/001_t", "v1.1.0/002_backfill"}, b.applied(t))
	})
}

// A ledger made before chunked migrations, or before notes, is upgraded
// the first time herd reads it, keeping its rows.
func TestLedgerUpgrade(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		for _, tc := range []struct {
			name    string
			columns []string // what the ledger was made without
		}{
			{"before chunked migrations", []string{"chunk_key", "chunk_rows", "note"}},
			{"before notes", []string{"note"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b := setup(t, e, migrations)
				require.NoError(t, b.migrate(t, "1.0.0"))
				ledger := dialect.Qualify(b.d, b.db, execute.DefaultLedgerTable)
				for _, col := range tc.columns {
					_, err := b.db.DB.ExecContext(b.ctx, "ALTER TABLE "+ledger+" DROP COLUMN "+col)
					require.NoError(t, err)
				}
				entries, err := execute.ReadLedger(b.ctx, b.d, b.db, execute.DefaultLedgerTable)
				require.NoError(t, err)
				require.Len(t, entries, 1)
				require.Nil(t, entries[0].Chunk)
				require.Empty(t, entries[0].Note)
				require.NoError(t, b.migrate(t, "1.1.0"))
				require.Equal(t, []string{"v1.0.0/001_pupils", "v1.1.0/002_fees"}, b.applied(t))
			})
		}
	})
}

// herd repair acts on a chunked migration that failed: retry carries it on
// after its last committed range, rollback runs its down script.
func TestChunkedRepair(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		for _, action := range []execute.RepairAction{execute.Retry, execute.Rollback} {
			t.Run(string(action), func(t *testing.T) {
				b := setup(t, e, chunkTable("INTEGER", "-- herd:chunked table=t key=k size=2"))
				require.NoError(t, b.migrate(t, "1.0.0"))
				b.insert(t, []any{1, 2, 3, 4, 5}, 4)
				require.Error(t, b.migrate(t, "1.1.0"))
				_, err := b.db.DB.ExecContext(b.ctx, "UPDATE t SET lim = 1")
				require.NoError(t, err)

				s, err := b.ex.Lock(b.ctx, b.db)
				require.NoError(t, err)
				before, err := s.Repair(b.ctx, b.src, "tenant", action, execute.UncertainUnknown, b.rec)
				require.NoError(t, s.Close(b.ctx))
				require.NoError(t, err)
				require.Equal(t, &execute.Progress{Last: "2", HasLast: true, Rows: 2}, before.Chunk)
				if action == execute.Retry {
					require.Equal(t, map[int]int{1: 5}, b.touched(t), "every row touched once")
					require.Equal(t, []string{"v1.0.0/001_t", "v1.1.0/002_backfill"}, b.applied(t))
				} else {
					require.Equal(t, map[int]int{0: 5}, b.touched(t), "the down script undid the committed ranges")
					require.Equal(t, []string{"v1.0.0/001_t"}, b.applied(t))
					_, dirty := b.dirty(t)
					require.False(t, dirty)
				}
			})
		}
	})
}

// A range that gives up on a row an application holds rolls back and runs
// again once the application commits: every row is still touched once.
func TestChunkedRangeRetriesAfterALockTimeout(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, chunkTable("INTEGER", "-- herd:chunked table=t key=k size=3"))
		require.NoError(t, b.migrate(t, "1.0.0"))
		keys := []any{1, 2, 3, 4, 5, 6, 7, 8, 9}
		b.insert(t, keys)
		seen := &retries{}
		b.ex = execute.New(b.d, &execute.Options{Events: seen, LockTimeout: time.Second, LockRetries: 10})

		// The application holds row 5 (the second range) for a while.
		conn, err := b.db.DB.Conn(b.ctx)
		require.NoError(t, err)
		defer conn.Close()
		tx, err := conn.BeginTx(b.ctx, nil)
		require.NoError(t, err)
		_, err = tx.ExecContext(b.ctx, "UPDATE t SET lim = 1 WHERE k = 5")
		require.NoError(t, err)
		done := make(chan error, 1)
		go func() { done <- b.migrate(t, "1.1.0") }()
		time.Sleep(2500 * time.Millisecond)
		require.NoError(t, tx.Commit())

		require.NoError(t, <-done)
		require.Positive(t, seen.count(), "the range gave up on the lock and was retried")
		require.Equal(t, map[int]int{1: len(keys)}, b.touched(t), "every row touched once")
		require.Equal(t, execute.StateApplied, b.row(t, "v1.1.0/002_backfill").State)
	})
}

// With Options.WholeChunks (a small tenant) a chunked backfill runs as one
// statement over every key, in the transaction of its step: every row is
// touched once, a failing row rolls all of it back, and a key a walk
// would refuse is refused too.
func TestWholeChunks(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		tests := []struct {
			name, table string
			keys        []any
			failing     []any
			// applied are the migrations recorded after the run; wantErr,
			// if set, is what its error says.
			applied []string
			wantErr string
		}{
			{name: "integer keys with gaps", keys: []any{-5, 1, 2, 3, 5, 8, 1000},
				applied: []string{"v1.0.0/001_t", "v1.1.0/002_backfill"}},
			{name: "text keys", table: "CREATE TABLE t (k VARCHAR(20) NOT NULL PRIMARY KEY, touched INT NOT NULL DEFAULT 0, lim INT NOT NULL DEFAULT 1, CHECK (touched <= lim));",
				keys: []any{"a", "ab", "c10", "zz"}, applied: []string{"v1.0.0/001_t", "v1.1.0/002_backfill"}},
			{name: "empty table", applied: []string{"v1.0.0/001_t", "v1.1.0/002_backfill"}},
			{name: "a failing row", keys: []any{1, 2, 3, 4}, failing: []any{3},
				applied: []string{"v1.0.0/001_t"}, wantErr: "v1.1.0/002_backfill"},
			{name: "a key a walk refuses", table: "CREATE TABLE t (id INT NOT NULL PRIMARY KEY, k INT NOT NULL, touched INT NOT NULL DEFAULT 0, lim INT NOT NULL DEFAULT 1);",
				applied: []string{"v1.0.0/001_t"}, wantErr: "table t, key k: it is not unique"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				files := chunkTable("INT", "-- herd:chunked table=t key=k size=2")
				if tt.table != "" {
					files["tenant/v1.0.0/001_t.up.sql"] = tt.table
				}
				b := setup(t, e, files)
				require.NoError(t, b.migrate(t, "1.0.0"))
				if tt.table == "" || tt.keys != nil {
					b.insert(t, tt.keys, tt.failing...)
				}
				b.ex = execute.New(b.d, &execute.Options{WholeChunks: true})
				err := b.migrate(t, "1.1.0")
				require.Equal(t, tt.applied, b.applied(t))
				if tt.wantErr != "" {
					require.ErrorContains(t, err, tt.wantErr)
					require.Empty(t, b.touched(t)[1], "the statement rolled back whole")
					_, dirty := b.dirty(t)
					require.False(t, dirty, "nothing was recorded")
					return
				}
				require.NoError(t, err)
				if len(tt.keys) > 0 {
					require.Equal(t, map[int]int{1: len(tt.keys)}, b.touched(t), "every row touched once")
				}
				require.Nil(t, b.row(t, "v1.1.0/002_backfill").Chunk, "no range progress: it ran whole")
			})
		}
	})
}
