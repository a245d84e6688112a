package postgres

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNormaliseExpr(t *testing.T) {
	t.Parallel()
	// As created from status IN (…), and as created again from that
	// rendering.
	original := "CHECK (((status)::text = ANY ((ARRAY['pending'::character varying, 'paid'::character varying])::text[])))"
	copied := "CHECK (((status)::text = ANY (ARRAY[('pending'::character varying)::text, ('paid'::character varying)::text])))"
	require.Equal(t, normaliseExpr(original), normaliseExpr(copied))
	require.Equal(t, "CHECK status = ANY ARRAY['pending', 'paid']", normaliseExpr(original))

	for _, tc := range []struct{ in, want string }{
		{"CHECK ((capacity > 0))", "CHECK capacity > 0"},
		{"(at)::timestamp(3) without time zone", "at"},
		{"x::numeric(12, 2) + y::\"My Type\"[] - z::public.citext", "x + y - z"},
		{"CREATE INDEX i ON t USING btree (a DESC) WHERE kind <> 'refund'::receipt_kind", "CREATE INDEX i ON t USING btree a DESC WHERE kind <> 'refund'"},
	} {
		require.Equal(t, tc.want, normaliseExpr(tc.in), tc.in)
	}
	require.NotEqual(t, normaliseExpr("CHECK ((a > 0))"), normaliseExpr("CHECK ((a > 1))"))
}
