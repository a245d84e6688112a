package execute

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/plan"
)

// DefaultLedgerTable is the table, in each database herd migrates, that
// records the migrations applied to it.
const DefaultLedgerTable = "herd_schema_migrations"

// The states of a ledger row.
const (
	StateApplied = "applied"
	StateDirty   = "dirty"
)

// Entry is one row of a database's ledger.
type Entry struct {
	ID        string
	Version   string
	Kind      string
	Checksum  string
	State     string
	Direction plan.Direction
	// StatementsTotal, StatementsDone and StatementStarted follow a
	// migration that runs outside a transaction: statement k is recorded as
	// started before it runs and as done after.
	StatementsTotal  int
	StatementsDone   int
	StatementStarted int
	Error            string
	AppliedAt        time.Time
	ExecutionMS      int64
	// Chunk is the progress of a chunked migration (see source.Chunk);
	// nil for any other.
	Chunk *Progress
	// Note says how an applied migration came about other than by running
	// every statement, as its history row says: "resolved: existed:
	// statement 1" for statements taken as done (Session.Resolve), or the
	// note MarkApplied was given ("baseline from goose").
	Note string
}

// Progress is how far a chunked migration got: each range of its key
// commits with the row that records it here.
type Progress struct {
	// Last is the last key whose range committed, as text (an integer key
	// in decimal); HasLast is false before the first range commits.
	Last    string
	HasLast bool
	// Rows counts the rows the statement changed, over every run.
	Rows int64
}

// Resumable reports whether herd migrate carries the migration on where
// it stopped, rather than refusing it as dirty: a chunked migration
// interrupted, or failed, going up.
func (e Entry) Resumable() bool {
	return e.State == StateDirty && e.Direction == plan.Up && e.Chunk != nil
}

// Uncertain reports whether a statement started and was neither recorded
// as done nor as failed: the process died or lost its connection while it
// ran, so whether it took effect is unknown.
func (e Entry) Uncertain() bool {
	return e.State == StateDirty && e.StatementStarted > e.StatementsDone && e.Error == "" && e.Chunk == nil
}

// Describe says what state a dirty entry is in, naming the statement; of
// an applied one, its note.
func (e Entry) Describe() string {
	if e.State != StateDirty {
		if e.Note != "" {
			return e.ID + " applied (" + e.Note + ")"
		}
		return e.ID + " applied"
	}
	switch {
	case e.Chunk != nil:
		at := "no range committed yet"
		if e.Chunk.HasLast {
			at = fmt.Sprintf("ranges up to key %s committed, %d rows changed", e.Chunk.Last, e.Chunk.Rows)
		}
		msg := fmt.Sprintf("%s dirty (%s): chunked, %s; herd migrate resumes after it", e.ID, e.Direction, at)
		if e.Error != "" {
			msg += "; the next range failed: " + e.Error
		}
		return msg
	case e.Uncertain():
		return fmt.Sprintf("%s dirty (%s): statement %d of %d started and its outcome is unknown; statements 1-%d are done",
			e.ID, e.Direction, e.StatementStarted, e.StatementsTotal, e.StatementsDone)
	case e.Error != "":
		return fmt.Sprintf("%s dirty (%s): statement %d of %d failed after %d done: %s",
			e.ID, e.Direction, e.StatementStarted, e.StatementsTotal, e.StatementsDone, e.Error)
	default:
		return fmt.Sprintf("%s dirty (%s): %d of %d statements done", e.ID, e.Direction, e.StatementsDone, e.StatementsTotal)
	}
}

// querier runs SQL: a *sql.Conn or a *sql.Tx.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// ledger reads and writes one database's ledger table.
type ledger struct {
	d     dialect.Dialect
	db    *dialect.Database
	name  string // as given
	table string // qualified and quoted
	// upsert ends an INSERT so that it overwrites a row already there.
	upsert string
	// last is the ledger as read last, kept while fresh: until the next
	// write through this ledger, which alone changes the table while its
	// session holds the database's migration lock.
	last  []Entry
	fresh bool
}

func newLedger(d dialect.Dialect, db *dialect.Database, table string) *ledger {
	// A write over an existing row replaces every column but the key.
	columns := strings.Fields(strings.ReplaceAll(ledgerColumns, ",", " "))
	return &ledger{d: d, db: db, name: table, table: dialect.Qualify(d, db, table), upsert: d.Upsert(columns[0], columns[1:])}
}

// bind renders a portable query on the ledger table.
func (l *ledger) bind(query string) string {
	return strings.ReplaceAll(dialect.Bind(l.d, query), "{ledger}", l.table)
}

const ledgerColumns = `migration_id, version, kind, checksum, state, direction,
	statements_total, statements_done, statement_started, error, applied_at, execution_ms,
	chunk_key, chunk_rows, note`

// read returns the ledger's rows, read through q unless no write was made
// since the last read.
func (l *ledger) read(ctx context.Context, q querier) ([]Entry, error) {
	if l.fresh {
		return slices.Clone(l.last), nil
	}
	rows, err := q.QueryContext(ctx, l.bind(`SELECT `+ledgerColumns+` FROM {ledger} ORDER BY migration_id`), dialect.OneShot(l.d)...)
	if err != nil {
		return nil, fmt.Errorf("read ledger %s: %w", l.table, err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var msg, chunkKey, note sql.NullString
		var chunkRows sql.NullInt64
		if err := rows.Scan(&e.ID, &e.Version, &e.Kind, &e.Checksum, &e.State, &e.Direction,
			&e.StatementsTotal, &e.StatementsDone, &e.StatementStarted, &msg, &e.AppliedAt, &e.ExecutionMS,
			&chunkKey, &chunkRows, &note); err != nil {
			return nil, fmt.Errorf("read ledger %s: %w", l.table, err)
		}
		e.Error, e.Note = msg.String, note.String
		if chunkRows.Valid {
			e.Chunk = &Progress{Last: chunkKey.String, HasLast: chunkKey.Valid, Rows: chunkRows.Int64}
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read ledger %s: %w", l.table, err)
	}
	l.last, l.fresh = slices.Clone(out), true
	return out, nil
}

// lookQuerier is what readOrMissing asks through: db.DB, or a connection
// pinned from it.
type lookQuerier interface {
	querier
	dialect.RowQuerier
}

// readOrMissing reads the ledger through q, in one query where the table
// is there. When the read fails, it asks whether the table exists:
// missing is set when it does not (the database has no ledger yet). When
// it does, the ledger may be one made before its last columns: it is
// upgraded (see dialect.LedgerSQL.UpgradeLedger) and read again, and the
// errors are returned when that read fails too.
func (l *ledger) readOrMissing(ctx context.Context, q lookQuerier) (entries []Entry, missing bool, err error) {
	entries, err = l.read(ctx, q)
	if err == nil {
		return entries, false, nil
	}
	exists, terr := l.d.TableExists(ctx, q, l.db, l.name)
	if terr != nil {
		return nil, false, fmt.Errorf("read the ledger of %s: %w", l.db.Name, errors.Join(err, terr))
	}
	if !exists {
		return nil, true, nil
	}
	entries, uerr := l.upgrade(ctx, q)
	if uerr != nil {
		return nil, false, fmt.Errorf("read the ledger of %s: %w", l.db.Name, errors.Join(err, uerr))
	}
	return entries, false, nil
}

// upgrade adds the columns a ledger made by an earlier herd lacks, then
// reads it. A statement that fails (its column is there: another process
// upgraded the ledger first, or a run stopped between two statements) is
// passed over; the read that follows says whether the ledger is whole.
func (l *ledger) upgrade(ctx context.Context, q querier) ([]Entry, error) {
	var failed []error
	for _, stmt := range l.d.UpgradeLedger(l.table) {
		if _, err := q.ExecContext(ctx, stmt); err != nil {
			failed = append(failed, fmt.Errorf("upgrade: %w", err))
		}
	}
	entries, err := l.read(ctx, q)
	if err != nil {
		return nil, errors.Join(append(failed, err)...)
	}
	return entries, nil
}

// writeChunk is the most rows write sends in one statement, which keeps
// it under every engine's limit on bound parameters.
const writeChunk = 500

// write stores a row for each entry, a new one or over the row of the
// same migration, in as few statements as the engines' parameter limits
// allow: one for the few rows a migration step writes at once.
func (l *ledger) write(ctx context.Context, q querier, entries ...Entry) error {
	// Rows the ledger as read last does not hold are new: a plain insert,
	// which leaves the engine less to parse than the upsert.
	upsert := l.upsert
	if l.fresh && !l.holdsAny(entries) {
		upsert = ""
	}
	l.fresh = false
	for len(entries) > 0 {
		n := min(len(entries), writeChunk)
		if err := l.writeRows(ctx, q, entries[:n], upsert); err != nil {
			return err
		}
		entries = entries[n:]
	}
	return nil
}

// writeRows inserts entries in one statement that ends with upsert.
func (l *ledger) writeRows(ctx context.Context, q querier, entries []Entry, upsert string) error {
	const row = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	rows := make([]string, len(entries))
	args := make([]any, 0, 15*len(entries))
	for i, e := range entries {
		rows[i] = row
		var chunkKey, chunkRows any
		if e.Chunk != nil {
			chunkRows = e.Chunk.Rows
			if e.Chunk.HasLast {
				chunkKey = e.Chunk.Last
			}
		}
		args = append(args, e.ID, e.Version, e.Kind, e.Checksum, e.State, string(e.Direction),
			e.StatementsTotal, e.StatementsDone, e.StatementStarted, nullable(e.Error), e.AppliedAt.UTC(), e.ExecutionMS,
			chunkKey, chunkRows, nullable(e.Note))
	}
	query := `INSERT INTO {ledger} (` + ledgerColumns + `) VALUES ` + strings.Join(rows, ", ") + upsert
	if _, err := q.ExecContext(ctx, l.bind(query), dialect.OneShot(l.d, args...)...); err != nil {
		ids := make([]string, len(entries))
		for i, e := range entries {
			ids[i] = e.ID
		}
		return fmt.Errorf("ledger: record %s: %w", strings.Join(ids, ", "), err)
	}
	return nil
}

// holdsAny reports whether the ledger as read last has a row for one of
// entries.
func (l *ledger) holdsAny(entries []Entry) bool {
	for _, e := range entries {
		if slices.ContainsFunc(l.last, func(r Entry) bool { return r.ID == e.ID }) {
			return true
		}
	}
	return false
}

// remove deletes the rows of the migrations ids, in one statement.
func (l *ledger) remove(ctx context.Context, q querier, ids ...string) error {
	l.fresh = false
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")
	if _, err := q.ExecContext(ctx, l.bind(`DELETE FROM {ledger} WHERE migration_id IN (`+marks+`)`), dialect.OneShot(l.d, args...)...); err != nil {
		return fmt.Errorf("ledger: remove %s: %w", strings.Join(ids, ", "), err)
	}
	return nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Applied converts ledger entries into what the planner reads.
func Applied(entries []Entry) []plan.Applied {
	out := make([]plan.Applied, len(entries))
	for i, e := range entries {
		out[i] = plan.Applied{ID: e.ID, Checksum: e.Checksum, Dirty: e.State == StateDirty, Resumable: e.Resumable()}
	}
	return out
}

// ReadLedger reads db's ledger table without locking or creating it; a
// database that has none has an empty ledger. Use it to look, never to
// plan a change: only a Session's ledger cannot move before it is used.
func ReadLedger(ctx context.Context, d dialect.Dialect, db *dialect.Database, table string) ([]Entry, error) {
	entries, _, err := newLedger(d, db, table).readOrMissing(ctx, db.DB)
	return entries, err
}
