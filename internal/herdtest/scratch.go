package herdtest

import (
	"context"
	"testing"

	"github.com/herdhq/herd/dialect"
)

// ScratchDatabase opens the server at dsn with d, creates a database of a
// unique name starting with prefix on it, and opens that database. The
// test's cleanup closes both and drops the database.
func ScratchDatabase(t testing.TB, d dialect.Dialect, dsn, prefix string) (dialect.Server, *dialect.Database) {
	t.Helper()
	return scratch(t, d, dialect.ServerConfig{Name: "test", DSN: dsn}, prefix)
}

// Scratch opens a database (or, with a schema per tenant, a schema) of a
// unique name starting with prefix on the engine's test server, or in a
// folder of t.TempDir for an engine of files, as a tenant's would be, and
// returns it with the engine's dialect. The test's cleanup closes it and
// drops it. A real-server engine whose DSN is not set skips the test, or
// fails it under CI=true.
func (e Engine) Scratch(t testing.TB, prefix string) (dialect.Dialect, *dialect.Database) {
	t.Helper()
	d := e.dialect()
	dsn := e.ServerDSN(t)
	if files, ok := d.(dialect.Files); ok {
		dsn = files.FileDSN(t.TempDir())
	}
	_, db := scratch(t, d, dialect.ServerConfig{Name: "test", DSN: dsn, Tenancy: e.tenancy}, prefix)
	return d, db
}

func scratch(t testing.TB, d dialect.Dialect, cfg dialect.ServerConfig, prefix string) (dialect.Server, *dialect.Database) {
	t.Helper()
	ctx := context.Background()
	srv, err := d.OpenServer(ctx, cfg)
	if err != nil {
		t.Fatalf("open server: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	name := Name(t, prefix)
	if err := srv.Create(ctx, name); err != nil {
		t.Fatalf("create scratch database: %v", err)
	}
	t.Cleanup(func() { srv.Drop(context.Background(), name) }) //nolint:errcheck // best effort
	db, err := srv.Open(ctx, name)
	if err != nil {
		t.Fatalf("open scratch database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return srv, db
}
