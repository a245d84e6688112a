package shadow_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/sqlite"
	"github.com/herdhq/herd/shadow"
)

// Prepare a tenant's shadow while the application writes, catch up,
// freeze the tenant's writes, catch up the rest and verify the copy.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "herd-shadow-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	d := sqlite.New()
	srv, err := d.OpenServer(ctx, dialect.ServerConfig{Name: "local", DSN: "sqlite:" + filepath.Join(dir, "tenants")})
	must(err)
	defer srv.Close()
	must(srv.Create(ctx, "trust_abc"))
	app, err := srv.Open(ctx, "trust_abc")
	must(err)
	defer app.Close()
	_, err = app.DB.ExecContext(ctx, "CREATE TABLE students (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
	must(err)
	_, err = app.DB.ExecContext(ctx, "INSERT INTO students (id, name) VALUES (1, 'Aarav'), (2, 'Zoë')")
	must(err)

	sh, err := shadow.Prepare(ctx, srv, d, "trust_abc", nil)
	must(err)
	fmt.Println("shadow:", sh.Name())

	// The application goes on writing; the changes are captured.
	_, err = app.DB.ExecContext(ctx, "UPDATE students SET name = 'Zoe' WHERE id = 2")
	must(err)
	_, err = app.DB.ExecContext(ctx, "INSERT INTO students (id, name) VALUES (3, 'Ines')")
	must(err)

	release, err := sh.Freeze(ctx, 2*time.Second)
	if errors.Is(err, shadow.ErrFreezeTimeout) {
		fmt.Println("busy: try again later")
		return
	}
	must(err)
	for {
		remaining, err := sh.CatchUp(ctx)
		must(err)
		if remaining == 0 {
			break
		}
	}
	fmt.Println("verified:", sh.Verify(ctx) == nil)
	must(release())

	// Here a cut-over would migrate sh.Database() and switch the tenant
	// to it; this example abandons the shadow instead.
	must(sh.Abandon(ctx))
	ok, err := srv.Exists(ctx, sh.Name())
	must(err)
	fmt.Println("shadow left:", ok)
	// Output:
	// shadow: trust_abc_herd_shadow
	// verified: true
	// shadow left: false
}
