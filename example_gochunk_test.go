package herd_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"testing/fstest"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/dialect/sqlite"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/source"
)

// A chunked Go migration: Chunk declares the table and key to walk, and
// the db that Up receives walks them through source.Chunker, a range per
// transaction with the progress in the tenant's ledger.
func Example_chunkedGoMigration() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "herd-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	cfg, err := config.Parse([]byte(`
control: sqlite:./control.db
servers:
  default: sqlite:./tenants
tenant_database: trust_{code}
migrations: ./migrations
`), filepath.Join(dir, "herd.yaml"))
	if err != nil {
		log.Fatal(err)
	}
	migrations := fstest.MapFS{
		"tenant/v1.0.0/001_invoices.up.sql": {Data: []byte(`CREATE TABLE invoices (id INTEGER NOT NULL PRIMARY KEY, amount INT NOT NULL, fees INT NOT NULL, total INT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500)
INSERT INTO invoices (id, amount, fees) SELECT 2 * i, i, 1 FROM n;`)},
		"tenant/v1.0.0/001_invoices.down.sql": {Data: []byte("DROP TABLE invoices;")},
	}
	totals := source.GoMigration{
		Target: source.Tenant,
		ID:     "v1.1.0/002_invoice_totals",
		Chunk:  &source.Chunk{Table: "invoices", Key: "id", Size: 1000},
		Up: func(ctx context.Context, db source.DB) error {
			return db.(source.Chunker).Chunks(ctx, func(ctx context.Context, tx source.DB, from, to any) (int64, error) {
				res, err := tx.ExecContext(ctx, "UPDATE invoices SET total = amount + fees WHERE id > ? AND id <= ?", from, to)
				if err != nil {
					return 0, err
				}
				return res.RowsAffected()
			})
		},
	}
	progress := event.SinkFunc(func(e event.Event) {
		if e.Type == event.Chunk && e.Chunk.Done {
			fmt.Printf("%s: %d rows in %d ranges, %s up to %s\n", e.Migration, e.Chunk.Rows, e.Chunk.Ranges, e.Chunk.Key, e.Chunk.To)
		}
	})
	fleet, err := herd.Open(ctx, cfg, []herd.Dialect{sqlite.New()},
		herd.Options{Migrations: migrations, Go: []source.GoMigration{totals}, Events: progress})
	if err != nil {
		log.Fatal(err)
	}
	defer fleet.Close()
	if _, err := fleet.AddTenant(ctx, herd.TenantSpec{Code: "greenfield"}); err != nil {
		log.Fatal(err)
	}
	if err := fleet.Migrate(ctx, herd.TenantRef("greenfield"), "v1.1.0"); err != nil {
		log.Fatal(err)
	}
	// Output:
	// v1.1.0/002_invoice_totals: 2500 rows in 3 ranges, id up to 5000
}
