package cli

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
)

// rollout status says how far a chunked migration got, with its share of
// the table when the tenant was analysed.
func TestChunkDone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  herd.ChunkRun
		want string
	}{
		{"no range yet", herd.ChunkRun{Key: "id"}, "0 rows, no range committed yet"},
		{"not analysed", herd.ChunkRun{Key: "id", Last: "4000", Rows: 3900}, "3900 rows, id up to 4000 committed"},
		{"analysed", herd.ChunkRun{Key: "id", Last: "4000", Rows: 3900, TableRows: 10000},
			"3900 rows of about 10000 (39%), id up to 4000 committed"},
		{"more than the estimate", herd.ChunkRun{Key: "code", Last: "zz", Rows: 120, TableRows: 100},
			"120 rows of about 100 (100%), code up to zz committed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, chunkDone(&tt.run))
		})
	}
}
