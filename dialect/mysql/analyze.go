package mysql

import (
	"context"
	"fmt"
	"strings"

	"github.com/herdhq/herd/dialect"
)

var _ dialect.Analyzer = (*Dialect)(nil)

// Analyze refreshes the optimizer's statistics of tables in db with one
// ANALYZE TABLE, which reports a table it could not analyse as a row
// (Msg_type "error"), not as a failed statement.
func (d *Dialect) Analyze(ctx context.Context, db *dialect.Database, tables ...string) (err error) {
	if len(tables) == 0 {
		return nil
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("mysql: analyze %v: %w", tables, err)
		}
	}()
	rows, err := db.DB.QueryContext(ctx, "ANALYZE TABLE "+dialect.QualifyList(d, db, tables))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var table, op, kind, msg string
		if err := rows.Scan(&table, &op, &kind, &msg); err != nil {
			return err
		}
		if strings.EqualFold(kind, "error") {
			return fmt.Errorf("%s: %s", table, msg)
		}
	}
	return rows.Err()
}
