package postgres

import (
	"github.com/jackc/pgx/v5"

	"github.com/herdhq/herd/dialect"
)

var _ dialect.Unprepared = (*Dialect)(nil)

// Unprepared puts pgx.QueryExecModeExec before args: pgx then sends the
// query's parse, bind and execute in one round trip, without preparing
// and caching it. Parameter types come from the Go values, as in every
// query herd writes itself.
func (d *Dialect) Unprepared(args ...any) []any { return unprepared(args...) }

// unprepared is Unprepared, for the package's functions.
func unprepared(args ...any) []any { return append([]any{pgx.QueryExecModeExec}, args...) }
