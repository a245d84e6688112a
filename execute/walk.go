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
	// bound, extent and below are the walk's queries: the next upper
	// bound, the least and the greatest key, and how many keys are at or
	// below a value.
	bound, extent, below string
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
		extent: fmt.Sprintf("SELECT MIN(%s), MAX(%s) FROM %s", key, key, table),
		below:  dialect.Bind(d, fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE %s <= ?", table, key)),
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
	least, _, more, err := w.keyExtent(ctx, q)
	if err != nil || !more {
		return nil, false, err
	}
	from, err = w.fromBelow(ctx, q, least)
	return from, err == nil, err
}

// keyExtent returns the least and the greatest key; ok is false when the
// table has none.
func (w *keyWalk) keyExtent(ctx context.Context, q dialect.RowQuerier) (least, greatest any, ok bool, err error) {
	row := q.QueryRowContext(ctx, w.extent)
	if w.kind == dialect.KeyInteger {
		var lo, hi sql.NullInt64
		err = row.Scan(&lo, &hi)
		least, greatest, ok = lo.Int64, hi.Int64, lo.Valid
	} else {
		var lo, hi sql.NullString
		err = row.Scan(&lo, &hi)
		least, greatest, ok = lo.String, hi.String, lo.Valid
	}
	if err != nil {
		return nil, nil, false, fmt.Errorf("least and greatest %s of %s: %w", w.c.Key, w.c.Table, err)
	}
	return least, greatest, ok, nil
}

// fromBelow returns a :from below every key, whose least is least: one less
// for an integer key, the empty string for a text key (refused when a key
// is the empty string or ranks with it).
func (w *keyWalk) fromBelow(ctx context.Context, q dialect.RowQuerier, least any) (any, error) {
	if n, ok := least.(int64); ok {
		if n == math.MinInt64 {
			return nil, fmt.Errorf("table %s, key %s: its least key is the least 64-bit integer, and no :from can be below it", w.c.Table, w.c.Key)
		}
		return n - 1, nil
	}
	var n int64
	if err := q.QueryRowContext(ctx, w.below, "").Scan(&n); err != nil {
		return nil, fmt.Errorf("keys of %s at or below '': %w", w.c.Table, err)
	}
	if n > 0 {
		return nil, fmt.Errorf("table %s, key %s: a key is the empty string (or ranks with it), and no :from can be below it", w.c.Table, w.c.Key)
	}
	return "", nil
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

// keySpan is the least and the greatest of an integer key when a walk
// began, against which its progress is measured.
type keySpan struct{ least, greatest int64 }

// span returns the span of an integer key, nil for a text key or an
// empty table.
func (w *keyWalk) span(ctx context.Context, q dialect.RowQuerier) (*keySpan, error) {
	if w.kind != dialect.KeyInteger {
		return nil, nil
	}
	least, greatest, ok, err := w.keyExtent(ctx, q)
	if err != nil || !ok {
		return nil, err
	}
	return &keySpan{least: least.(int64), greatest: greatest.(int64)}, nil
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
