package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/internal/snapcopy"
)

var _ dialect.SchemaStamper = (*Dialect)(nil)

// SchemaStamp is a digest of db's sqlite_schema (of the attached schema
// db.Schema when it is set, else of main): every table, index, view and
// trigger with the statement that defines it, as SQLite keeps it. Tables
// and Views describe what those statements define, so equal digests mean
// equal descriptions; unlike PRAGMA schema_version, the digest is of the
// content, not a counter that another file may share.
func (d *Dialect) SchemaStamp(ctx context.Context, q dialect.Queryer, db *dialect.Database) (string, error) {
	schema := db.Schema
	if schema == "" {
		schema = "main"
	}
	h := sha256.New()
	err := snapcopy.Each(ctx, q, "SELECT type, name, tbl_name, COALESCE(sql, '') FROM "+d.QuoteIdent(schema)+
		".sqlite_schema ORDER BY type, name", nil, func(r *sql.Rows) error {
		var typ, name, table, def string
		if err := r.Scan(&typ, &name, &table, &def); err != nil {
			return err
		}
		_, err := fmt.Fprintf(h, "%q %q %q %q\n", typ, name, table, def)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("sqlite: stamp the schema of %q: %w", db.Name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
