package execute

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/source"
)

// keyWalk finds the ranges of a chunked migration's key by keyset: each
// upper bound is the greatest of the next size keys above the last one,
// read from the key's index, never by OFFSET over the table.
type keyWalk struct {
	c    *source.Chunk
	kind dialect.KeyKind
	// bound, least, greatest and below are the walk's queries: the next
	// upper bound, the least and the greatest key, and how many keys are
	// at or below a value.
	bound, least, greatest, below string
	// minMax reads the least and the greatest key together.
	minMax string
}

// newWalk checks the session's database can walk c's key (see
// dialect.KeyInspector) and returns its walk, or an input error wrapping
// ErrChunkKey that names the table and key.
func (s *Session) newWalk(ctx context.Context, q dialect.RowQuerier, c *source.Chunk) (*keyWalk, error) {
	d := s.e.dialect
	ki, ok := d.(dialect.KeyInspector)
	if !ok {
		return nil, fmt.Errorf("%s cannot describe a key, so it cannot run chunked migrations", d.Name())
	}
	k, err := ki.ChunkKey(ctx, q, s.db, c.Table, c.Key)
	if err != nil {
		return nil, err
	}
	if err := checkKey(c, k); err != nil {
		return nil, err
	}
	table, key := dialect.Qualify(d, s.db, c.Table), d.QuoteIdent(c.Key)
	return &keyWalk{c: c, kind: k.Kind,
		bound: dialect.Bind(d, fmt.Sprintf("SELECT MAX(herd_key) FROM (SELECT %s AS herd_key FROM %s WHERE %s > ? ORDER BY %s LIMIT ?) herd_range",
			key, table, key, key)),
		least:    fmt.Sprintf("SELECT MIN(%s) FROM %s", key, table),
		greatest: fmt.Sprintf("SELECT MAX(%s) FROM %s", key, table),
		minMax:   fmt.Sprintf("SELECT MIN(%s), MAX(%s) FROM %s", key, key, table),
		below:    dialect.Bind(d, fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE %s <= ?", table, key)),
	}, nil
}

// start returns the :from of the first range to run: the last key p
// records done, or a value below every key. more is false when the table
// has no key at all.
func (w *keyWalk) start(ctx context.Context, q dialect.RowQuerier, p Progress) (from any, more bool, err error) {
	if p.HasLast {
		from, err := w.parse(p.Last)
		return from, err == nil, err
	}
	if w.kind == dialect.KeyInteger {
		var least sql.NullInt64
		if err := q.QueryRowContext(ctx, w.least).Scan(&least); err != nil {
			return nil, false, fmt.Errorf("least %s of %s: %w", w.c.Key, w.c.Table, err)
		}
		if least.Valid && least.Int64 == math.MinInt64 {
			return nil, false, fmt.Errorf("table %s, key %s: its least key is the least 64-bit integer, and no :from can be below it", w.c.Table, w.c.Key)
		}
		return least.Int64 - 1, least.Valid, nil
	}
	var least sql.NullString
	if err := q.QueryRowContext(ctx, w.least).Scan(&least); err != nil {
		return nil, false, fmt.Errorf("least %s of %s: %w", w.c.Key, w.c.Table, err)
	}
	if !least.Valid {
		return nil, false, nil
	}
	var n int64
	if err := q.QueryRowContext(ctx, w.below, "").Scan(&n); err != nil {
		return nil, false, fmt.Errorf("keys of %s at or below '': %w", w.c.Table, err)
	}
	if n > 0 {
		return nil, false, fmt.Errorf("table %s, key %s: a key is the empty string (or ranks with it), and no :from can be below it", w.c.Table, w.c.Key)
	}
	return "", true, nil
}

// next returns the upper bound of the range of at most size keys above
// from; more is false when no key is above from.
func (w *keyWalk) next(ctx context.Context, q dialect.RowQuerier, from any, size int) (to any, more bool, err error) {
	row := q.QueryRowContext(ctx, w.bound, from, int64(size))
	if w.kind == dialect.KeyInteger {
		var v sql.NullInt64
		err = row.Scan(&v)
		to, more = v.Int64, v.Valid
	} else {
		var v sql.NullString
		err = row.Scan(&v)
		to, more = v.String, v.Valid
	}
	if err != nil {
		return nil, false, fmt.Errorf("next range of %s above %s: %w", w.c.Key, w.format(from), err)
	}
	return to, more, nil
}

// greatestKey returns the greatest key of a table that has one.
func (w *keyWalk) greatestKey(ctx context.Context, q dialect.RowQuerier) (any, error) {
	var n int64
	var text string
	dest := any(&n)
	if w.kind != dialect.KeyInteger {
		dest = &text
	}
	if err := q.QueryRowContext(ctx, w.greatest).Scan(dest); err != nil {
		return nil, fmt.Errorf("greatest %s of %s: %w", w.c.Key, w.c.Table, err)
	}
	if w.kind == dialect.KeyInteger {
		return n, nil
	}
	return text, nil
}

// keySpan is the least and the greatest of an integer key when a walk
// began, against which its progress is measured.
type keySpan struct{ least, greatest int64 }

// span returns the span of an integer key, nil for a text key or an
// empty table.
func (w *keyWalk) span(ctx context.Context, q dialect.RowQuerier) (*keySpan, error) {
	if w.kind != dialect.KeyInteger {
		return nil, nil
	}
	var least, greatest sql.NullInt64
	if err := q.QueryRowContext(ctx, w.minMax).Scan(&least, &greatest); err != nil {
		return nil, fmt.Errorf("least and greatest %s of %s: %w", w.c.Key, w.c.Table, err)
	}
	if !least.Valid {
		return nil, nil
	}
	return &keySpan{least: least.Int64, greatest: greatest.Int64}, nil
}

// share is how much of the span the keys up to to cover, from 0 to 1; 0
// without a span.
func (k *keySpan) share(to string) float64 {
	n, err := strconv.ParseInt(to, 10, 64)
	if k == nil || err != nil || k.greatest <= k.least {
		return 0
	}
	return min(1, max(0, float64(n-k.least)/float64(k.greatest-k.least)))
}

// format writes a key as the ledger records it.
func (w *keyWalk) format(key any) string {
	if n, ok := key.(int64); ok {
		return strconv.FormatInt(n, 10)
	}
	s, _ := key.(string)
	return s
}

// parse reads a key the ledger recorded.
func (w *keyWalk) parse(text string) (any, error) {
	if w.kind == dialect.KeyText {
		return text, nil
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("table %s, key %s: the ledger records %q as the last key done, which is not an integer", w.c.Table, w.c.Key, text)
	}
	return n, nil
}

// rangeStatement is a chunked statement with its :from and :to markers
// replaced by the engine's placeholders.
type rangeStatement struct {
	sql string
	// params are the markers' names, in the order of their placeholders.
	params []string
}

// bindRange replaces the :from and :to markers of stmt by the dialect's
// placeholders, one per marker.
func (s *Session) bindRange(stmt string) (rangeStatement, error) {
	sqlText, params, err := source.BindChunk(s.e.dialect, s.e.dialect.Placeholder, stmt)
	return rangeStatement{sql: sqlText, params: params}, err
}

// args returns the arguments of one range's statement.
func (r rangeStatement) args(from, to any) []any {
	out := make([]any, len(r.params))
	for i, p := range r.params {
		out[i] = to
		if p == source.ParamFrom {
			out[i] = from
		}
	}
	return out
}
