package config_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/config"
)

func TestRedactDSN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, dsn, want string
	}{
		{"sqlite", "sqlite:./herd-data/control.db", "sqlite:./herd-data/control.db"},
		{"no password", "postgres://postgres@127.0.0.1:5432/fleet", "postgres://postgres@127.0.0.1:5432/fleet"},
		{"user password", "postgres://u:s3cr3t@h:5432/db?sslmode=disable", "postgres://u:xxxxx@h:5432/db?sslmode=disable"},
		{"mysql", "mysql://root:pw@127.0.0.1:3306/herd", "mysql://root:xxxxx@127.0.0.1:3306/herd"},
		{"query password", "postgres://h/db?user=u&password=s3cr3t&sslmode=require", "postgres://h/db?user=u&password=xxxxx&sslmode=require"},
		{"not a url", "postgres://u:pa/ss@h:5432/db", "postgres://u:xxxxx@h:5432/db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, config.RedactDSN(tt.dsn))
		})
	}
}
