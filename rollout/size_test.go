package rollout_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/rollout"
)

func TestSelectBySize(t *testing.T) {
	t.Parallel()
	tenants := []control.Tenant{
		{Code: "big", Size: &control.Size{Tenant: "big", Rows: 1000, AnalyzedAt: time.Now()}},
		{Code: "huge", Size: &control.Size{Tenant: "huge", Rows: 10, Bytes: 1 << 30}},
		{Code: "small", Size: &control.Size{Tenant: "small", Rows: 999, Bytes: 1<<30 - 1}},
		{Code: "new"},
	}
	size := rollout.Classify(config.LargeTenants{Rows: 1000, Bytes: 1 << 30})
	tests := []struct {
		expr string
		want []string
		err  string
	}{
		{expr: "size=large", want: []string{"big", "huge"}},
		{expr: "size=small", want: []string{"small"}},
		{expr: "size=unknown", want: []string{"new"}},
		{expr: "size=small,new", want: []string{"small", "new"}},
		{expr: "size=massive", err: `selector term "size=massive": want size=large, size=small or size=unknown`},
		{expr: "sizes=large", err: `selector term "sizes=large": want a code, tier=T, server=S, tag:K=V, size=large|small or @FILE`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			got, err := rollout.Select(tt.expr, tenants, nil, size)
			if tt.err != "" {
				require.EqualError(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			var codes []string
			for _, tn := range got {
				codes = append(codes, tn.Code)
			}
			require.Equal(t, tt.want, codes)
		})
	}
	_, err := rollout.Select("size=large", tenants, nil, rollout.Classify(config.LargeTenants{}))
	require.ErrorIs(t, err, rollout.ErrNoTenant, "without thresholds no tenant is large")
}
