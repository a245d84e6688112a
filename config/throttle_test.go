package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/config"
)

// A server's throttle is read with its line, and interval defaults to a
// second; a server without one has none.
func TestParseThrottle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		server []string
		want   *config.Throttle
	}{
		{"none", []string{"  default: sqlite:./tenants"}, nil},
		{"whole max, default interval",
			[]string{"  default:", "    dsn: sqlite:./tenants", "    throttle: {query: SELECT lag FROM replica, max: 5}"},
			&config.Throttle{Query: "SELECT lag FROM replica", Max: 5, Interval: time.Second, Line: 5}},
		{"fractional max, interval",
			[]string{"  default:", "    dsn: sqlite:./tenants", "    throttle:", "      query: SELECT 1", "      max: 2.5", "      interval: 250ms"},
			&config.Throttle{Query: "SELECT 1", Max: 2.5, Interval: 250 * time.Millisecond, Line: 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.Parse([]byte(strings.Join(with(3, tt.server...), "\n")), "")
			require.NoError(t, err)
			require.Equal(t, tt.want, cfg.Servers[0].Throttle)
		})
	}
}
