package control

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// TableSize is one table of a tenant's database as herd analyze measured
// it.
type TableSize struct {
	Table string `json:"table"`
	Rows  int64  `json:"rows"`
	Bytes int64  `json:"bytes"`
	// RowsEstimated and BytesEstimated say that the figure is the
	// engine's estimate (as of its last ANALYZE), not a count.
	RowsEstimated  bool `json:"rows_estimated"`
	BytesEstimated bool `json:"bytes_estimated"`
}

// Size is a tenant's size as herd analyze last measured it: the totals
// over its tables (herd's own left out), each an estimate when any of its
// tables' figures is one.
type Size struct {
	Tenant         string    `json:"tenant"`
	Rows           int64     `json:"rows"`
	Bytes          int64     `json:"bytes"`
	RowsEstimated  bool      `json:"rows_estimated"`
	BytesEstimated bool      `json:"bytes_estimated"`
	AnalyzedAt     time.Time `json:"analyzed_at"`
	// Tables are ordered by name. Reader.Sizes leaves them out.
	Tables []TableSize `json:"tables,omitempty"`
}

// SetSize records sz as tenant sz.Tenant's size, replacing the one it
// had.
func (s *Store) SetSize(ctx context.Context, sz Size) error {
	tables, err := json.Marshal(sz.Tables)
	if err != nil {
		return fmt.Errorf("control: record the size of tenant %q: %w", sz.Tenant, err)
	}
	_, err = s.exec(ctx, s.q.sizeUpsert, sz.Tenant, sz.Rows, sz.Bytes, flag(sz.RowsEstimated), flag(sz.BytesEstimated),
		string(tables), sz.AnalyzedAt.UTC())
	if err != nil {
		return fmt.Errorf("control: record the size of tenant %q: %w", sz.Tenant, err)
	}
	return nil
}

// Size returns tenant code's size with its tables; ok is false when it
// was never analysed.
func (r *Reader) Size(ctx context.Context, code string) (sz Size, ok bool, err error) {
	var tables string
	err = r.db.DB.QueryRowContext(ctx, r.q.sizeGet, code).Scan(&sz.Tenant, &sz.Rows, &sz.Bytes, &sz.RowsEstimated,
		&sz.BytesEstimated, &sz.AnalyzedAt, &tables)
	if errors.Is(err, sql.ErrNoRows) {
		return Size{}, false, nil
	}
	if err == nil {
		err = json.Unmarshal([]byte(tables), &sz.Tables)
	}
	if err != nil {
		return Size{}, false, fmt.Errorf("control: read the size of tenant %q: %w", code, err)
	}
	return sz, true, nil
}

// Sizes returns the sizes of the registered tenants that were analysed,
// by tenant code, without their tables.
func (r *Reader) Sizes(ctx context.Context) (map[string]Size, error) {
	return byTenant(ctx, r.db.DB, r.q.sizeList, "the tenants' sizes", func(rows *sql.Rows) (string, Size, error) {
		var sz Size
		err := rows.Scan(&sz.Tenant, &sz.Rows, &sz.Bytes, &sz.RowsEstimated, &sz.BytesEstimated, &sz.AnalyzedAt)
		return sz.Tenant, sz, err
	})
}

// nullSize is a tenant's size as a LEFT JOIN reads it: NULL when the
// tenant was never analysed.
type nullSize struct {
	rows, bytes                   sql.NullInt64
	rowsEstimated, bytesEstimated sql.NullBool
	analyzedAt                    sql.NullTime
}

// size returns tenant code's size, or nil when it was never analysed.
func (n nullSize) size(code string) *Size {
	if !n.analyzedAt.Valid {
		return nil
	}
	return &Size{Tenant: code, Rows: n.rows.Int64, Bytes: n.bytes.Int64, RowsEstimated: n.rowsEstimated.Bool,
		BytesEstimated: n.bytesEstimated.Bool, AnalyzedAt: n.analyzedAt.Time}
}

// flag is a boolean as the control schema stores it: 1 or 0.
func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}
