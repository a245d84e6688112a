package snapshot_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/snapshot"
)

func TestCompareDumps(t *testing.T) {
	t.Parallel()
	a := "CREATE TABLE t (id int);\nCREATE VIEW v AS SELECT 1;\n-- sequence s at 7\n"
	tests := []struct {
		name         string
		b            string
		onlyA, onlyB []string
	}{
		{"equal", a, nil, nil},
		{"a line missing", "CREATE TABLE t (id int);\n-- sequence s at 7\n", []string{"CREATE VIEW v AS SELECT 1;"}, nil},
		{"a line changed", "CREATE TABLE t (id int);\nCREATE VIEW v AS SELECT 1;\n-- sequence s at 8\n",
			[]string{"-- sequence s at 7"}, []string{"-- sequence s at 8"}},
		{"reordered", "CREATE VIEW v AS SELECT 1;\nCREATE TABLE t (id int);\n-- sequence s at 7\n",
			[]string{"line 1: CREATE TABLE t (id int);"}, []string{"line 1: CREATE VIEW v AS SELECT 1;"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := snapshot.CompareDumps("tenant", a, "snap", tt.b)
			if tt.onlyA == nil && tt.onlyB == nil {
				require.NoError(t, err)
				return
			}
			var diff *snapshot.DumpDiffError
			require.ErrorAs(t, err, &diff)
			require.Equal(t, tt.onlyA, diff.OnlyA)
			require.Equal(t, tt.onlyB, diff.OnlyB)
			require.Contains(t, err.Error(), `the schema dumps of "tenant" and "snap" differ`)
		})
	}
}
