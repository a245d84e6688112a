package cli

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestErrorLines(t *testing.T) {
	t.Parallel()
	pgx := errors.New("failed to connect to `user=postgres database=postgres`:\n" +
		"\t127.0.0.1:1 (127.0.0.1): dial error: connection refused\n" +
		"\t127.0.0.1:1 (127.0.0.1): dial error: connection refused")
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{name: "one line", err: errors.New("tenant \"x\": tenant not found"), want: []string{`tenant "x": tenant not found`}},
		{name: "driver's indented lines join the first, once", err: fmt.Errorf("control database: %w", pgx),
			want: []string{"control database: failed to connect to `user=postgres database=postgres`: 127.0.0.1:1 (127.0.0.1): dial error: connection refused"}},
		{name: "indented detail after a sentence", err: errors.New("statement failed\n  DETAIL: key exists"),
			want: []string{"statement failed; DETAIL: key exists"}},
		{name: "joined errors, one line each", err: errors.Join(errors.New("migrate tenant \"a\": boom"), errors.New("migrate tenant \"b\": bang")),
			want: []string{`migrate tenant "a": boom`, `migrate tenant "b": bang`}},
		{name: "a prefix herd adds is not repeated", err: errors.New("herd: webhooks: closed"), want: []string{"webhooks: closed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, errorLines(tt.err))
		})
	}
}
