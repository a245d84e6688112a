package shadow

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/herdhq/herd/dialect"
)

// ErrTruncated is wrapped by CatchUp's error when a table of the tenant
// was truncated after the shadow was made (PostgreSQL captures a
// TRUNCATE; MySQL fires no trigger on one, and Verify finds it): a
// truncate is not caught up. Abandon the shadow and prepare it again.
var ErrTruncated = errors.New("truncated while its shadow was made")

// change is one row of the capture table.
type change struct {
	seq   int64
	table string
	key   sql.NullString // a JSON array, or NULL for every row
}

// CatchUp reads the oldest captured changes (Options.Batch of them),
// makes the rows they name in the shadow equal to the tenant's (copying
// each row as the tenant has it now, or deleting it where the tenant no
// longer has it), and consumes them. It returns how many captured changes
// remain, so that the caller can call it again until few do, then
// freeze the tenant and call it until none do.
//
// Outside a freeze, consumed changes are deleted from the capture table
// once their rows are in the shadow: a change committed late, with a
// lower seq than one already read, is still there for the next call, and
// a herd killed between the copy and the delete copies the rows again,
// which is harmless. While the tenant is frozen (Freeze), nothing is
// deleted (on SQLite the freeze holds the file's one write lock): CatchUp
// reads past the last change it caught up, which is safe since no new
// change can commit; and the call that returns 0 also brings the shadow's
// key generators (sequences, AUTO_INCREMENT counters) to the tenant's
// positions, since rows copied with their keys do not move them.
func (s *Shadow) CatchUp(ctx context.Context) (remaining int, err error) {
	fail := func(err error) (int, error) {
		return 0, fmt.Errorf("shadow: catch up tenant %q: %w", s.tenantName, err)
	}
	if err := s.closed(); err != nil {
		return fail(err)
	}
	frozen, upTo := s.frozenAt()
	batch, err := s.readChanges(ctx, frozen, upTo)
	if err != nil {
		return fail(err)
	}
	if _, err := s.rowSync(ctx); err != nil {
		return fail(err)
	}
	if err := s.apply(ctx, batch); err != nil {
		return fail(err)
	}
	if len(batch) > 0 {
		if frozen {
			s.advance(batch[len(batch)-1].seq)
		} else if err := s.consume(ctx, batch); err != nil {
			return fail(err)
		}
	}
	frozen, upTo = s.frozenAt()
	n, err := s.count(ctx, frozen, upTo)
	if err != nil {
		return fail(err)
	}
	if frozen && n == 0 {
		if err := s.sync.SyncGenerators(ctx); err != nil {
			return fail(err)
		}
	}
	return n, nil
}

func (s *Shadow) frozenAt() (bool, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.freezing, s.caughtUp
}

func (s *Shadow) advance(seq int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.freezing {
		s.caughtUp = seq
	}
}

func (s *Shadow) captureTable() string { return dialect.Qualify(s.d, s.tenant, dialect.CaptureTable) }

// readChanges reads the batch: the oldest changes, or while frozen those
// after upTo.
func (s *Shadow) readChanges(ctx context.Context, frozen bool, upTo int64) ([]change, error) {
	query := "SELECT seq, tbl, pk FROM " + s.captureTable()
	var args []any
	if frozen {
		query += " WHERE seq > ?"
		args = append(args, upTo)
	}
	query += " ORDER BY seq LIMIT " + strconv.Itoa(s.batch)
	rows, err := s.tenant.DB.QueryContext(ctx, dialect.Bind(s.d, query), dialect.OneShot(s.d, args...)...)
	if err != nil {
		return nil, fmt.Errorf("read captured changes: %w", err)
	}
	defer rows.Close()
	var out []change
	for rows.Next() {
		var c change
		if err := rows.Scan(&c.seq, &c.table, &c.key); err != nil {
			return nil, fmt.Errorf("read captured changes: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read captured changes: %w", err)
	}
	return out, nil
}

// apply syncs the rows the batch names, table by table in the order of
// their first change, each key once.
func (s *Shadow) apply(ctx context.Context, batch []change) error {
	if len(batch) == 0 {
		return nil
	}
	var order []string
	keys := map[string][][]any{}
	seen := map[string]map[string]bool{}
	for _, c := range batch {
		if seen[c.table] == nil {
			seen[c.table] = map[string]bool{}
			order = append(order, c.table)
		}
		if !c.key.Valid {
			return fmt.Errorf("table %q: %w", c.table, ErrTruncated)
		}
		if seen[c.table][c.key.String] {
			continue
		}
		seen[c.table][c.key.String] = true
		k, err := decodeKey(c.key.String)
		if err != nil {
			return fmt.Errorf("change %d of table %q: %w", c.seq, c.table, err)
		}
		keys[c.table] = append(keys[c.table], k)
	}
	rs, err := s.rowSync(ctx)
	if err != nil {
		return err
	}
	for _, name := range order {
		t, ok := s.tables[name]
		if !ok {
			return fmt.Errorf("change of table %q, which the tenant did not have when its shadow was made", name)
		}
		if err := rs.Sync(ctx, t, keys[name]); err != nil {
			return err
		}
	}
	return nil
}

// rowSync opens the session that copies rows, once.
func (s *Shadow) rowSync(ctx context.Context) (dialect.RowSync, error) {
	if s.sync != nil {
		return s.sync, nil
	}
	rs, err := s.srv.(dialect.RowSyncer).SyncRows(ctx, s.tenantName, s.name)
	if err != nil {
		return nil, err
	}
	s.sync = rs
	return rs, nil
}

// decodeKey decodes a captured key: a JSON array of the key's values.
// Integers become int64, other numbers stay as their text, which every
// engine casts to the key column's type.
func decodeKey(text string) ([]any, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	dec.UseNumber()
	var raw []any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("captured key %s: %w", text, err)
	}
	for i, v := range raw {
		switch x := v.(type) {
		case json.Number:
			if n, err := x.Int64(); err == nil {
				raw[i] = n
			} else {
				raw[i] = x.String()
			}
		case map[string]any, []any:
			b, err := json.Marshal(x)
			if err != nil {
				return nil, err
			}
			raw[i] = string(b)
		}
	}
	return raw, nil
}

// consume deletes the batch's changes from the capture table, by seq.
func (s *Shadow) consume(ctx context.Context, batch []change) error {
	const chunk = 500
	for len(batch) > 0 {
		n := min(len(batch), chunk)
		args := make([]any, n)
		for i, c := range batch[:n] {
			args[i] = c.seq
		}
		query := "DELETE FROM " + s.captureTable() + " WHERE seq IN (?" + strings.Repeat(", ?", n-1) + ")"
		if _, err := s.tenant.DB.ExecContext(ctx, dialect.Bind(s.d, query), dialect.OneShot(s.d, args...)...); err != nil {
			return fmt.Errorf("delete caught-up changes: %w", err)
		}
		batch = batch[n:]
	}
	return nil
}

// count returns how many captured changes are left to catch up.
func (s *Shadow) count(ctx context.Context, frozen bool, upTo int64) (int, error) {
	query := "SELECT COUNT(*) FROM " + s.captureTable()
	var args []any
	if frozen {
		query += " WHERE seq > ?"
		args = append(args, upTo)
	}
	var n int
	if err := s.tenant.DB.QueryRowContext(ctx, dialect.Bind(s.d, query), dialect.OneShot(s.d, args...)...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count captured changes: %w", err)
	}
	return n, nil
}
