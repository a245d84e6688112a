package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
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
// content, not a counter that another file may share. Rows are read in
// the table's own order, which only a change of the schema changes.
func (d *Dialect) SchemaStamp(ctx context.Context, q dialect.Queryer, db *dialect.Database) (string, error) {
	schema := schemaOf(db)
	h := sha256.New()
	var buf []byte
	err := snapcopy.Each(ctx, q, "SELECT type, name, tbl_name, COALESCE(sql, '') FROM "+d.QuoteIdent(schema)+
		".sqlite_schema", nil, func(r *sql.Rows) error {
		var row [4][]byte
		if err := r.Scan(&row[0], &row[1], &row[2], &row[3]); err != nil {
			return err
		}
		for _, field := range row {
			// Each field is written after its length, so that no two rows
			// write the same bytes.
			buf = binary.AppendUvarint(buf[:0], uint64(len(field)))
			h.Write(buf)
			h.Write(field)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("sqlite: stamp the schema of %q: %w", db.Name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
