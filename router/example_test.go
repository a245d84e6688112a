package router_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/sqlite"
	"github.com/herdhq/herd/router"
)

// exampleProject writes a small herd project into dir: a herd.yaml on
// SQLite with one flag, and two tenant schema versions.
func exampleProject(dir string) error {
	files := map[string]string{
		"herd.yaml": `control: sqlite:./data/control.db
servers: {default: "sqlite:./data/tenants"}
tenant_database: erp_{code}
migrations: ./migrations
releases:
  v1.0.0: {features: [classes]}
  v1.1.0: {features: [gradebook]}
flags:
  new_gradebook:
    required_version: 1.1.0
    rollout_percentage: 100
`,
		"migrations/tenant/v1.0.0/001_create_classes.up.sql":    "CREATE TABLE classes (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n",
		"migrations/tenant/v1.0.0/001_create_classes.down.sql":  "DROP TABLE classes;\n",
		"migrations/tenant/v1.1.0/002_create_grades.up.sql":     "CREATE TABLE grades (id INTEGER PRIMARY KEY, class_id INTEGER NOT NULL, grade TEXT NOT NULL);\n",
		"migrations/tenant/v1.1.0/002_create_grades.down.sql":   "DROP TABLE grades;\n",
		"migrations/system/v1.0.0/001_create_settings.up.sql":   "CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);\n",
		"migrations/system/v1.0.0/001_create_settings.down.sql": "DROP TABLE settings;\n",
	}
	for name, body := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// exampleFleet is herd's side, run by the platform team: it migrates the
// control database and registers two tenants, oakfield at v1.1.0 and
// elmwood at v1.0.0.
func exampleFleet(ctx context.Context, cfg *config.Config) (*herd.Fleet, error) {
	fleet, err := herd.Open(ctx, cfg, []herd.Dialect{sqlite.New()}, herd.Options{})
	if err != nil {
		return nil, err
	}
	for code, version := range map[string]string{"oakfield": "1.1.0", "elmwood": "1.0.0"} {
		if _, err := fleet.AddTenant(ctx, herd.TenantSpec{Code: code}); err != nil {
			return nil, err
		}
		if err := fleet.Migrate(ctx, control.TenantRef(code), version); err != nil {
			return nil, err
		}
	}
	return fleet, nil
}

// An application resolves its tenants and asks for their features through
// a router, from memory; a change herd makes reaches it at the next
// refresh.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "herd-router-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	if err := exampleProject(dir); err != nil {
		fmt.Println(err)
		return
	}
	cfg, err := config.Load(filepath.Join(dir, "herd.yaml"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fleet, err := exampleFleet(ctx, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer fleet.Close()

	// The application's side.
	r, err := router.Open(ctx, cfg, []dialect.Dialect{sqlite.New()}, router.Options{Refresh: 2 * time.Second})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()

	for _, code := range []string{"oakfield", "elmwood"} {
		t, err := r.Resolve(ctx, code)
		if err != nil {
			fmt.Println(err)
			return
		}
		on, err := r.Enabled(ctx, "new_gradebook", code)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: %s database %s, v%s (release %s), new_gradebook %v\n", t.Code, t.Engine, t.Database, t.Version, t.Release, on)
	}
	if _, err := r.Resolve(ctx, "nowhere"); err != nil {
		fmt.Println(err)
	}

	// herd migrates elmwood; the router sees it once it refreshes (every
	// two seconds, or now).
	if err := fleet.Migrate(ctx, control.TenantRef("elmwood"), "1.1.0"); err != nil {
		fmt.Println(err)
		return
	}
	if err := r.Refresh(ctx); err != nil {
		fmt.Println(err)
		return
	}
	res, err := r.Evaluate(ctx, "new_gradebook", "elmwood")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("elmwood: new_gradebook %v (%s: %s)\n", res.Enabled, res.Reason, res.Detail())
	// Output:
	// oakfield: sqlite database erp_oakfield, v1.1.0 (release v1.1.0), new_gradebook true
	// elmwood: sqlite database erp_elmwood, v1.0.0 (release v1.0.0), new_gradebook false
	// router: tenant "nowhere": tenant not found
	// elmwood: new_gradebook true (PERCENTAGE_ON: bucket 98 is within the 100% rollout)
}
