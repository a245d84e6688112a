package snapcopy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNames(t *testing.T) {
	t.Parallel()
	require.NoError(t, Names("a", "a_s0123abcd", 20))
	require.Error(t, Names("a", "a", 20), "onto itself")
	require.Error(t, Names("a", "Bad", 20))
	require.Error(t, Names("", "b", 20))
	require.Error(t, Names("a", strings.Repeat("b", 21), 20))
}

func TestUnsupported(t *testing.T) {
	t.Parallel()
	require.NoError(t, Unsupported(nil))
	err := Unsupported([]string{"function f()", "trigger t on x"})
	require.ErrorContains(t, err, "function f(), trigger t on x")
	var many []string
	for i := range 13 {
		many = append(many, fmt.Sprintf("function f%d()", i))
	}
	err = Unsupported(many)
	require.ErrorContains(t, err, "f9() and 3 more")
	require.NotContains(t, err.Error(), "f10")
}

func TestInOrder(t *testing.T) {
	t.Parallel()
	// c depends on b, which depends on a: given in reverse, they need
	// three passes.
	deps := map[string]string{"c": "b", "b": "a"}
	names := []string{"c", "b", "a"}
	created := map[string]bool{}
	var order []string
	err := InOrder(context.Background(), names, func(_ context.Context, i int) error {
		n := names[i]
		if d, ok := deps[n]; ok && !created[d] {
			return errors.New("missing " + d)
		}
		created[n] = true
		order = append(order, n)
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b", "c"}, order)

	// A cycle (or a missing dependency) stops with every failure named.
	err = InOrder(context.Background(), []string{"x", "y"}, func(context.Context, int) error { return errors.New("missing") })
	require.ErrorContains(t, err, "x: missing")
	require.ErrorContains(t, err, "y: missing")
}
