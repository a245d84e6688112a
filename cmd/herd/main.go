// Command herd versions and migrates the schemas of a fleet of tenant
// databases. Run `herd --help` for the commands, `herd demo` for a tour.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // time zones of maintenance windows, on machines without zoneinfo

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/mysql"
	"github.com/herdhq/herd/dialect/postgres"
	"github.com/herdhq/herd/dialect/sqlite"
	"github.com/herdhq/herd/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, cli.Env{
		Args:     os.Args[1:],
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
		Dialects: []dialect.Dialect{sqlite.New(), postgres.New(), mysql.New()},
	})
	stop()
	os.Exit(code)
}
