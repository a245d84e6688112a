package shadow

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/internal/problem"
)

func TestName(t *testing.T) {
	t.Parallel()
	long := "school_erp_trust_" + strings.Repeat("x", 46) // 63: PostgreSQL's limit
	tests := []struct {
		name, tenant string
		max          int
		want         string
		refused      bool
	}{
		{"fits", "school_erp_trust_abc", 63, "school_erp_trust_abc_herd_shadow", false},
		{"exactly", strings.Repeat("a", 51), 63, strings.Repeat("a", 51) + "_herd_shadow", false},
		{"shortened", long, 63, long[:47] + "_shadow_", false},
		{"mysql", long, 64, long[:48] + "_shadow_", false},
		{"too small", "school_erp_trust_abc", 20, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Name(tt.tenant, tt.max)
			old, oldErr := OldName(tt.tenant, tt.max)
			if tt.refused {
				var in *problem.InputError
				require.True(t, errors.As(err, &in), "want an input error, got %v", err)
				require.Contains(t, err.Error(), tt.tenant)
				require.True(t, errors.As(oldErr, &in), "want an input error, got %v", oldErr)
				return
			}
			require.NoError(t, err)
			require.NoError(t, oldErr)
			require.LessOrEqual(t, len(old), tt.max)
			require.NotEqual(t, got, old)
			require.True(t, strings.HasPrefix(old, tt.tenant[:min(len(tt.tenant), 8)]), "the old name %q keeps the tenant's", old)
			require.LessOrEqual(t, len(got), tt.max)
			require.True(t, strings.HasPrefix(got, tt.want), "%q does not start with %q", got, tt.want)
			if len(tt.tenant)+len(Suffix) > tt.max {
				require.Len(t, got, tt.max)
				other, err := Name(tt.tenant[:len(tt.tenant)-1]+"y", tt.max)
				require.NoError(t, err)
				require.NotEqual(t, got, other, "two long names that share a beginning get different shadows")
			}
		})
	}
}
