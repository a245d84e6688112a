package dialecttest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/dialect"
)

// estimateSlack is how far, as a share of the true count, an estimate
// taken right after ANALYZE may be off.
const estimateSlack = 0.1

func (s *suite) testTableSizes(t *testing.T) {
	sizer, ok := s.d.(dialect.Sizer)
	if !ok {
		t.Skipf("%s has no Sizer", s.d.Name())
	}
	ctx := t.Context()
	_, db := s.tenant(t)
	want := map[string]int64{"sizes_empty": 0, "sizes_some": 37, "sizes_many": 3000, "sizes_fresh": 5}
	for _, table := range []string{"sizes_empty", "sizes_some", "sizes_many"} {
		s.execAll(t, db, fmt.Sprintf("CREATE TABLE %s (id INTEGER NOT NULL PRIMARY KEY, note VARCHAR(200) NOT NULL)", s.q(table)))
		s.insertRows(t, db, table, want[table])
	}
	require.NoError(t, s.analyzer(t).Analyze(ctx, db, "sizes_empty", "sizes_some", "sizes_many"))
	// Made after the ANALYZE: where the engine has no estimate of it yet,
	// it must count, or say the figure is an estimate.
	s.execAll(t, db, "CREATE TABLE sizes_fresh (id INTEGER NOT NULL PRIMARY KEY, note VARCHAR(200) NOT NULL)")
	s.insertRows(t, db, "sizes_fresh", want["sizes_fresh"])

	sizes, err := sizer.TableSizes(ctx, db.DB, db)
	require.NoError(t, err)
	got := map[string]dialect.TableSize{}
	var names []string
	for _, ts := range sizes {
		got[ts.Table] = ts
		names = append(names, ts.Table)
	}
	require.IsIncreasing(t, names, "ordered by name")
	for table, rows := range want {
		ts, ok := got[table]
		require.True(t, ok, "table %s is measured (got %v)", table, names)
		require.Positive(t, ts.Bytes, "%s takes some bytes", table)
		switch {
		case !ts.RowsEstimated:
			require.Equal(t, rows, ts.Rows, "%s: a figure that is not an estimate is exact", table)
		case table != "sizes_fresh":
			require.InDelta(t, rows, ts.Rows, estimateSlack*float64(rows)+1, "%s: an estimate after ANALYZE", table)
		}
	}
	require.Greater(t, got["sizes_many"].Bytes, got["sizes_some"].Bytes, "3000 rows take more room than 37")
}

// insertRows fills table with n rows of a padded note, 500 to a
// statement.
func (s *suite) insertRows(t *testing.T, db *dialect.Database, table string, n int64) {
	t.Helper()
	for from := int64(0); from < n; from += 500 {
		var values []string
		for id := from + 1; id <= min(from+500, n); id++ {
			values = append(values, fmt.Sprintf("(%d, '%s')", id, strings.Repeat("x", 100)))
		}
		s.execAll(t, db, "INSERT INTO "+s.q(table)+" (id, note) VALUES "+strings.Join(values, ", "))
	}
}

// Analyze refreshes the statistics of the tables it names, and fails,
// naming it, on a table that is not there.
func (s *suite) testAnalyze(t *testing.T) {
	analyzer, ctx := s.analyzer(t), t.Context()
	_, db := s.tenant(t)
	s.execAll(t, db, "CREATE TABLE analyzed (id INTEGER NOT NULL PRIMARY KEY)")
	require.NoError(t, analyzer.Analyze(ctx, db, "analyzed"))
	require.NoError(t, analyzer.Analyze(ctx, db))
	err := analyzer.Analyze(ctx, db, "analyzed", "not_there")
	require.Error(t, err)
	require.Contains(t, err.Error(), "not_there")
}

// analyzer is the dialect's Analyzer: every engine herd supports keeps
// statistics for its planner, which herd refreshes after bulk loads.
func (s *suite) analyzer(t *testing.T) dialect.Analyzer {
	a, ok := s.d.(dialect.Analyzer)
	require.True(t, ok, "%s has no Analyzer", s.d.Name())
	return a
}
