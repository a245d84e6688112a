package snapshot_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/sqlite"
	"github.com/herdhq/herd/snapshot"
)

// Take a snapshot of a tenant, verify it, change the tenant, and restore
// it from the snapshot.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "herd-snapshot-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	d := sqlite.New()
	srv, err := d.OpenServer(ctx, dialect.ServerConfig{Name: "local", DSN: "sqlite:" + filepath.Join(dir, "tenants")})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	must(srv.Create(ctx, "trust_abc"))
	tenant, err := srv.Open(ctx, "trust_abc")
	must(err)
	_, err = tenant.DB.ExecContext(ctx, "CREATE TABLE students (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL)")
	must(err)
	_, err = tenant.DB.ExecContext(ctx, "INSERT INTO students (name) VALUES ('Aarav'), ('Zoë')")
	must(err)

	snapshotter := srv.(dialect.Snapshotter)
	must(snapshotter.Snapshot(ctx, "trust_abc", "trust_abc_s0badcafe"))
	snap, err := srv.Open(ctx, "trust_abc_s0badcafe")
	must(err)
	defer snap.Close()
	fmt.Println("snapshot verified:", snapshot.Verify(ctx, d, tenant, snap) == nil)

	_, err = tenant.DB.ExecContext(ctx, "UPDATE students SET name = 'Li' WHERE id = 2")
	must(err)
	var diff *snapshot.DiffError
	if errors.As(snapshot.Verify(ctx, d, tenant, snap), &diff) {
		for _, dd := range diff.Differences {
			fmt.Printf("%s: %.11s\n", dd.Table, dd.What)
		}
	}

	must(tenant.Close()) // restore wants no open pool on the target
	must(snapshotter.Restore(ctx, "trust_abc_s0badcafe", "trust_abc"))
	tenant, err = srv.Open(ctx, "trust_abc")
	must(err)
	defer tenant.Close()
	fmt.Println("restore verified:", snapshot.Verify(ctx, d, tenant, snap) == nil)
	// Output:
	// snapshot verified: true
	// students: rows differ
	// restore verified: true
}
