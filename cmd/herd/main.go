package main

import (
	"context"
	"os"
	_ "time/tzdata" // time zones of maintenance windows, on machines without zoneinfo

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/mysql"
	"github.com/herdhq/herd/dialect/postgres"
	"github.com/herdhq/herd/dialect/sqlite"
	"github.com/herdhq/herd/internal/cli"
)

// version is herd's version, stamped at build time with
// -ldflags "-X main.version=vX.Y.Z"; empty reads it from the build info.
var version string

func main() {
	os.Exit(cli.Run(context.Background(), cli.Env{
		Args:     os.Args[1:],
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
		Dialects: []dialect.Dialect{sqlite.New(), postgres.New(), mysql.New()},
		Signals:  cli.Interrupts(),
		Version:  version,
	}))
}
