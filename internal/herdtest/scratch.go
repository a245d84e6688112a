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
	ctx := context.Background()
	srv, err := d.OpenServer(ctx, dialect.ServerConfig{Name: "test", DSN: dsn})
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
