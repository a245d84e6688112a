package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/dialecttest"
	"github.com/herdhq/herd/dialect/sqlite"
)

func TestDialect(t *testing.T) {
	t.Parallel()
	dialecttest.Run(t, sqlite.New(), dialect.ServerConfig{
		Name: "local",
		DSN:  "sqlite:" + filepath.Join(t.TempDir(), "tenants"),
	})
}
