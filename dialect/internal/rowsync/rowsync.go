package rowsync

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/herdhq/herd/dialect"
)

// MaxKeys is how many keys one pair of statements syncs: few enough for
// every engine's bound-parameter limit with keys of several columns.
const MaxKeys = 500

// Where returns the predicate that selects the rows of keys by the
// primary-key columns pk, with q's placeholders numbered from first, and
// its arguments: "pk" IN (…) for a key of one column, else an OR of one
// AND per key, which every engine answers from the primary key's index.
func Where(q dialect.Quoter, pk []string, keys [][]any, first int) (string, []any) {
	args := make([]any, 0, len(keys)*len(pk))
	n := first
	next := func() string { n++; return q.Placeholder(n - 1) }
	if len(pk) == 1 {
		marks := make([]string, len(keys))
		for i, k := range keys {
			marks[i] = next()
			args = append(args, k[0])
		}
		return q.QuoteIdent(pk[0]) + " IN (" + strings.Join(marks, ", ") + ")", args
	}
	ors := make([]string, len(keys))
	for i, k := range keys {
		ands := make([]string, len(pk))
		for j, c := range pk {
			ands[j] = q.QuoteIdent(c) + " = " + next()
			args = append(args, k[j])
		}
		ors[i] = "(" + strings.Join(ands, " AND ") + ")"
	}
	return "(" + strings.Join(ors, " OR ") + ")", args
}

// Key returns t's primary key columns as a trigger reads them from row
// (OLD or NEW), quoted: "NEW.`id`, NEW.`day`".
func Key(q dialect.Quoter, t dialect.Table, row string) string {
	cols := make([]string, len(t.PrimaryKey))
	for i, c := range t.PrimaryKey {
		cols[i] = row + "." + q.QuoteIdent(c)
	}
	return strings.Join(cols, ", ")
}

// KeyCompared returns, for each of t's primary key columns, the old and
// the new value compared by op ("IS NOT", "<=>"), joined by join: what a
// trigger tests to learn whether an update changed the key.
func KeyCompared(q dialect.Quoter, t dialect.Table, op, join string) string {
	cmp := make([]string, len(t.PrimaryKey))
	for i, c := range t.PrimaryKey {
		cmp[i] = "OLD." + q.QuoteIdent(c) + " " + op + " NEW." + q.QuoteIdent(c)
	}
	return strings.Join(cmp, join)
}

// Columns returns the quoted names of the columns of t that a copy
// writes: every column but those the engine generates from others
// (stored or virtual generated columns), which it computes itself.
func Columns(q dialect.Quoter, t dialect.Table) []string {
	var cols []string
	for _, c := range t.Columns {
		if strings.Contains(c.Generated, "generated") {
			continue
		}
		cols = append(cols, q.QuoteIdent(c.Name))
	}
	return cols
}

// UniqueKeys returns the column lists of t's unique indexes (its primary
// key's aside) that a copied row can collide on with a stale row of the
// destination: those over plain columns without a predicate. A row of the
// destination that holds a value a row of the source now holds is stale,
// and its own key is captured too, so a copy that replaces it loses
// nothing (MySQL's REPLACE, SQLite's INSERT OR REPLACE; PostgreSQL deletes
// it first).
func UniqueKeys(t dialect.Table) [][]string {
	plain := make(map[string]bool, len(t.Columns))
	for _, c := range t.Columns {
		plain[c.Name] = true
	}
	var keys [][]string
	for _, ix := range t.Indexes {
		if !ix.Unique || strings.Contains(strings.ToUpper(ix.Definition), " WHERE ") {
			continue
		}
		ok := len(ix.Columns) > 0
		for _, c := range ix.Columns {
			ok = ok && plain[c]
		}
		if ok {
			keys = append(keys, ix.Columns)
		}
	}
	return keys
}

// Chunks calls fn with keys in slices of at most MaxKeys, stopping at the
// first error.
func Chunks(keys [][]any, fn func([][]any) error) error {
	for len(keys) > 0 {
		n := min(len(keys), MaxKeys)
		if err := fn(keys[:n]); err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}

// Session is a dialect.RowSync for the engines that reach both databases
// from one connection and whose INSERT can replace the rows a copied row
// collides with (MySQL, SQLite): each chunk of keys is one transaction of
// a DELETE from the destination and an INSERT … SELECT (REPLACE …
// SELECT) from the source, with no row passing through herd.
type Session struct {
	// Conn is the pinned connection, set up by the engine (foreign keys
	// off, databases attached); Close closes it.
	Conn *sql.Conn
	// Quoter renders identifiers and placeholders.
	Quoter dialect.Quoter
	// Src and Dst qualify a table's name in the source and destination.
	Src, Dst func(table string) string
	// Insert is the verb that copies rows: "INSERT" when empty, or one
	// that replaces the destination's rows that a copied row collides
	// with on a unique index ("REPLACE", "INSERT OR REPLACE").
	Insert string
	// Tx are the options of each chunk's transaction (nil for defaults).
	Tx *sql.TxOptions
	// Generators implements SyncGenerators, on Conn.
	Generators func(ctx context.Context, conn *sql.Conn) error
	// Release runs after Conn is closed, or is nil.
	Release func() error
}

var _ dialect.RowSync = (*Session)(nil)

// Sync makes the rows of t in Dst whose key is one of keys those of Src.
func (s *Session) Sync(ctx context.Context, t dialect.Table, keys [][]any) error {
	if len(t.PrimaryKey) == 0 {
		return fmt.Errorf("sync table %q: no primary key", t.Name)
	}
	cols := strings.Join(Columns(s.Quoter, t), ", ")
	return Chunks(keys, func(chunk [][]any) error {
		where, args := Where(s.Quoter, t.PrimaryKey, chunk, 1)
		tx, err := s.Conn.BeginTx(ctx, s.Tx)
		if err != nil {
			return fmt.Errorf("sync table %q: %w", t.Name, err)
		}
		defer tx.Rollback() //nolint:errcheck // a no-op after Commit
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+s.Dst(t.Name)+" WHERE "+where, args...); err != nil {
			return fmt.Errorf("sync table %q: delete: %w", t.Name, err)
		}
		verb := s.Insert
		if verb == "" {
			verb = "INSERT"
		}
		insert := verb + " INTO " + s.Dst(t.Name) + " (" + cols + ")" +
			" SELECT " + cols + " FROM " + s.Src(t.Name) + " WHERE " + where
		if _, err := tx.ExecContext(ctx, insert, args...); err != nil {
			return fmt.Errorf("sync table %q: copy: %w", t.Name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("sync table %q: commit: %w", t.Name, err)
		}
		return nil
	})
}

// SyncGenerators runs Generators.
func (s *Session) SyncGenerators(ctx context.Context) error {
	if err := s.Generators(ctx, s.Conn); err != nil {
		return fmt.Errorf("sync key generators: %w", err)
	}
	return nil
}

// Close closes the connection, then runs Release.
func (s *Session) Close() error {
	err := s.Conn.Close()
	if s.Release != nil {
		if rerr := s.Release(); err == nil {
			err = rerr
		}
	}
	return err
}
