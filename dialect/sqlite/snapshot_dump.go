package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/herdhq/herd/dialect"
)

var _ dialect.SchemaDumper = (*Server)(nil)

// schemaSQL lists every table, index, view and trigger of a database file,
// as SQLite keeps their definitions.
const schemaSQL = `SELECT type, name, tbl_name, COALESCE(sql, '') FROM sqlite_master ORDER BY type, name`

// SchemaDump returns the rows of the database's sqlite_master (every
// table, index, view and trigger with its CREATE statement), then those of
// sqlite_sequence (the AUTOINCREMENT positions) where it exists. A SQLite
// database never names itself, so nothing is replaced.
func (s *Server) SchemaDump(ctx context.Context, name string) (string, error) {
	db, err := s.Open(ctx, name)
	if err != nil {
		return "", err
	}
	defer db.Close()
	fail := func(err error) (string, error) {
		return "", s.fail("dump the schema of", name, err)
	}
	var b strings.Builder
	rows, err := db.DB.QueryContext(ctx, schemaSQL)
	if err != nil {
		return fail(err)
	}
	defer rows.Close()
	hasSequence := false
	for rows.Next() {
		var typ, obj, table, sql string
		if err := rows.Scan(&typ, &obj, &table, &sql); err != nil {
			return fail(err)
		}
		hasSequence = hasSequence || obj == "sqlite_sequence"
		fmt.Fprintf(&b, "-- %s %s on %s\n%s;\n", typ, obj, table, sql)
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	if !hasSequence {
		return b.String(), nil
	}
	seqs, err := db.DB.QueryContext(ctx, "SELECT name, seq FROM sqlite_sequence ORDER BY name")
	if err != nil {
		return fail(err)
	}
	defer seqs.Close()
	for seqs.Next() {
		var table string
		var seq int64
		if err := seqs.Scan(&table, &seq); err != nil {
			return fail(err)
		}
		fmt.Fprintf(&b, "-- sequence %s at %d\n", table, seq)
	}
	if err := seqs.Err(); err != nil {
		return fail(err)
	}
	return b.String(), nil
}
