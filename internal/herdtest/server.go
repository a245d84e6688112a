package herdtest

import (
	"context"
	"testing"

	"github.com/herdhq/herd/dialect"
)

// Server opens the engine's test server (for an engine of files, a folder
// of t.TempDir) with the engine's tenancy, and returns it with the
// engine's dialect; the test's cleanup closes it. A real-server engine
// whose DSN is not set skips the test, or fails it under CI=true.
func (e Engine) Server(t testing.TB) (dialect.Dialect, dialect.Server) {
	t.Helper()
	d := e.dialect()
	dsn := e.ServerDSN(t)
	if files, ok := d.(dialect.Files); ok {
		dsn = files.FileDSN(t.TempDir())
	}
	srv, err := d.OpenServer(context.Background(), dialect.ServerConfig{Name: "test", DSN: dsn, Tenancy: e.tenancy})
	if err != nil {
		t.Fatalf("open server: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return d, srv
}
