package mysql_test

import (
	"testing"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/dialecttest"
	"github.com/herdhq/herd/dialect/mysql"
	"github.com/herdhq/herd/internal/herdtest"
)

func TestDialect(t *testing.T) {
	t.Parallel()
	dialecttest.Run(t, mysql.New(), dialect.ServerConfig{Name: "my", DSN: herdtest.MySQLDSN(t)})
}
