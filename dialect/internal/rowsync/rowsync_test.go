package rowsync

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/dialect"
)

// dollar quotes with "" and numbers placeholders from $1, as PostgreSQL.
type dollar struct{}

func (dollar) QuoteIdent(n string) string { return `"` + n + `"` }
func (dollar) Placeholder(n int) string   { return "$" + strconv.Itoa(n) }

func TestWhere(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		pk       []string
		keys     [][]any
		first    int
		want     string
		wantArgs []any
	}{
		{"one column", []string{"id"}, [][]any{{int64(1)}, {int64(2)}}, 1, `"id" IN ($1, $2)`, []any{int64(1), int64(2)}},
		{"composite", []string{"a", "b"}, [][]any{{int64(1), "x"}, {int64(2), "y"}}, 3,
			`(("a" = $3 AND "b" = $4) OR ("a" = $5 AND "b" = $6))`, []any{int64(1), "x", int64(2), "y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, args := Where(dollar{}, tt.pk, tt.keys, tt.first)
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.wantArgs, args)
		})
	}
}

func TestColumnsAndUniqueKeys(t *testing.T) {
	t.Parallel()
	tb := dialect.Table{
		Name: "pupils",
		Columns: []dialect.Column{
			{Name: "id", Generated: "identity always"},
			{Name: "email"},
			{Name: "total", Generated: "stored generated: a + b"},
		},
		PrimaryKey: []string{"id"},
		Indexes: []dialect.Index{
			{Name: "by_email", Unique: true, Columns: []string{"email"}},
			{Name: "lower_email", Unique: true, Columns: []string{"lower(email)"}},
			{Name: "open_email", Unique: true, Columns: []string{"email"}, Definition: "CREATE UNIQUE INDEX open_email ON pupils (email) WHERE id > 0"},
			{Name: "plain", Columns: []string{"email"}},
		},
	}
	require.Equal(t, []string{`"id"`, `"email"`}, Columns(dollar{}, tb), "generated columns are left to the engine")
	require.Equal(t, [][]string{{"email"}}, UniqueKeys(tb), "only unique indexes over plain columns, without a predicate")
}

func TestChunks(t *testing.T) {
	t.Parallel()
	keys := make([][]any, 2*MaxKeys+1)
	var sizes []int
	require.NoError(t, Chunks(keys, func(c [][]any) error { sizes = append(sizes, len(c)); return nil }))
	require.Equal(t, []int{MaxKeys, MaxKeys, 1}, sizes)
}
