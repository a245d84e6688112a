package herdtest

import (
	"context"
	"testing"
	"time"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
)

// Control opens a store on the fleet's control database, beside the
// herd.Fleet a test opened on it: a test reads through it what herd
// recorded, and writes through it to set a scene herd's API cannot (a
// tenant row without a database, a version the ledger does not hold). The
// store is closed when the test ends.
func (f *Fleet) Control(t testing.TB) *control.Store {
	t.Helper()
	ctx := context.Background()
	d := f.Engine.dialect()
	srv, err := d.OpenServer(ctx, dialect.ServerConfig{Name: "control", DSN: f.ControlDSN})
	if err != nil {
		t.Fatalf("open the control server: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	db, err := srv.Control(ctx)
	if err != nil {
		t.Fatalf("open the control database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	store, err := control.Open(ctx, d, db, time.Now)
	if err != nil {
		t.Fatalf("open the control store: %v", err)
	}
	return store
}
