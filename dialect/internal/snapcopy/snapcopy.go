package snapcopy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/herdhq/herd/dialect/internal/target"
)

// Names checks that from and to are valid names on an engine whose names
// are at most max bytes long (see target.CheckName) and that they differ.
func Names(from, to string, max int) error {
	if err := target.CheckName(from, max); err != nil {
		return err
	}
	if err := target.CheckName(to, max); err != nil {
		return err
	}
	if from == to {
		return fmt.Errorf("cannot copy %q onto itself", from)
	}
	return nil
}

// maxListed bounds how many objects an Unsupported error names.
const maxListed = 10

// Unsupported returns nil when objects is empty, else an error naming them
// (the first ten, then how many more): the objects of a source that a
// snapshot cannot copy, such as "function f(integer)" or "trigger t on
// students".
func Unsupported(objects []string) error {
	if len(objects) == 0 {
		return nil
	}
	listed := objects
	more := ""
	if len(listed) > maxListed {
		more = fmt.Sprintf(" and %d more", len(listed)-maxListed)
		listed = listed[:maxListed]
	}
	return fmt.Errorf("cannot copy %s%s: snapshots copy tables, views, sequences and enum types only", strings.Join(listed, ", "), more)
}

// InOrder calls create for each of n objects that may depend on one
// another but whose order is unknown: it calls create for every object,
// then again for those that failed, until all succeed or a whole pass
// succeeds for none. create must leave nothing behind when it fails (on
// PostgreSQL, wrap it in a savepoint). The error names the objects that
// could not be created and carries the last error of each.
func InOrder(ctx context.Context, names []string, create func(ctx context.Context, i int) error) error {
	pending := make([]int, len(names))
	for i := range pending {
		pending[i] = i
	}
	for len(pending) > 0 {
		var (
			failed []int
			errs   []error
		)
		for _, i := range pending {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := create(ctx, i); err != nil {
				failed = append(failed, i)
				errs = append(errs, fmt.Errorf("%s: %w", names[i], err))
			}
		}
		if len(failed) == len(pending) {
			return errors.Join(errs...)
		}
		pending = failed
	}
	return nil
}

// Querier runs a query: a *sql.DB, *sql.Conn or *sql.Tx.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Each runs query on q and calls scan for every row.
func Each(ctx context.Context, q Querier, query string, args []any, scan func(*sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Strings returns the first column of query's rows, as strings.
func Strings(ctx context.Context, q Querier, query string, args ...any) ([]string, error) {
	var out []string
	err := Each(ctx, q, query, args, func(r *sql.Rows) error {
		var s string
		if err := r.Scan(&s); err != nil {
			return err
		}
		out = append(out, s)
		return nil
	})
	return out, err
}
