package sqlite

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/herdhq/herd/dialect"
)

func TestChecks(t *testing.T) {
	tests := []struct {
		name, def string
		want      []dialect.Check
	}{
		{"none", `CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)`, nil},
		{"column", `CREATE TABLE t (age INTEGER CHECK (age >= 0))`, []dialect.Check{{Expr: "age >= 0"}}},
		{"named table constraint",
			"CREATE TABLE t (a INT, b INT,\n  CONSTRAINT \"a_below_b\" CHECK (a <\n b))",
			[]dialect.Check{{Name: "a_below_b", Expr: "a < b"}}},
		{"nested parentheses and strings",
			`CREATE TABLE t (s TEXT CHECK (s IN ('a)', 'b''(')) , n INT constraint n_pos check(n > (0)))`,
			[]dialect.Check{{Expr: `s IN ('a)', 'b''(')`}, {Name: "n_pos", Expr: "n > (0)"}}},
		{"a column named check is not one",
			"CREATE TABLE t (\"check\" INT, [check](1) INT, -- CHECK (x)\n /* CHECK (y) */ z INT CHECK(z<>1))",
			[]dialect.Check{{Expr: "z<>1"}}},
		{"unterminated", `CREATE TABLE t (a INT CHECK (a > 0`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, checks(tt.def))
		})
	}
}
