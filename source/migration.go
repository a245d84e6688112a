package source

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// Target says which databases a migration runs on.
type Target string

// The targets. A version folder under system/ holds system migrations,
// one under tenant/ holds tenant migrations.
const (
	System Target = "system"
	Tenant Target = "tenant"
)

// Kind is what a migration changes, recorded in the history.
type Kind string

// The kinds of migration; Schema is the default.
const (
	Schema  Kind = "schema"
	Data    Kind = "data"
	Feature Kind = "feature"
)

// ChecksumVersion identifies how scripts are normalised before hashing:
// version 1 drops a UTF-8 byte-order mark and turns CRLF and lone CR line
// endings into LF. A later normalisation gets a new version, so checksums
// recorded under this one can still be recomputed.
const ChecksumVersion = 1

// Script is one SQL file of a migration.
type Script struct {
	// File is the file's path inside the source.
	File string
	// SQL is the file's normalised text.
	SQL string
}

// DB is what a Go migration gets to work with: a transaction, or a pinned
// connection when the migration runs outside one. *sql.Tx and *sql.Conn
// satisfy it.
type DB interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// RangeFunc does a chunked Go migration's work for one range: the keys
// above from, up to and including to (int64 for an integer key, string
// for a text one), in tx, the range's transaction. It returns the rows it
// changed, which the ledger and the progress events count; the
// signature of sql.Result.RowsAffected, so that it can end with
// "return res.RowsAffected()".
type RangeFunc func(ctx context.Context, tx DB, from, to any) (rows int64, err error)

// Chunker is what the db a chunked Go migration's Up receives offers
// besides DB (see GoMigration.Chunk). Chunks runs fn once for each range
// of the migration's key not yet done, as herd runs a chunked SQL
// migration's statement: keyset walk, a transaction per range that also
// records it done, adaptive size, pause and throttle, chunk.progress
// events. Up calls it once, and returns its error; what Up does outside
// Chunks runs again when an interrupted run resumes.
type Chunker interface {
	Chunks(ctx context.Context, fn RangeFunc) error
}

// GoMigration is a migration written in Go, for data work SQL cannot
// express. It is registered on a Source through Options.Go, never through a
// package-level registry.
type GoMigration struct {
	// Target is System or Tenant.
	Target Target
	// ID is "vX.Y.Z/NNN_name", in the same numbering as the SQL files.
	ID string
	// Kind defaults to Data.
	Kind Kind
	// NoTransaction runs Up and Down on a pinned connection instead of in
	// a transaction.
	NoTransaction bool
	// Depends lists the IDs of migrations this one needs.
	Depends []string
	// Chunk, if set, makes the migration chunked, as herd:chunked makes
	// a SQL one: Up runs outside a transaction, and the db it receives is
	// also a Chunker whose Chunks walks Chunk's key in ranges, each in a
	// transaction of its own that records its progress in the ledger, so
	// that a run that stops resumes at the first range not committed.
	// Size zero means DefaultChunkSize. Down, if any, runs as any Go
	// migration's.
	Chunk *Chunk
	// Up applies the migration. Required.
	Up func(ctx context.Context, db DB) error
	// Down reverts it; nil means the migration cannot be rolled back.
	Down func(ctx context.Context, db DB) error
}

// Migration is one step of a target's history: SQL files (with optional
// per-engine overrides) or a Go migration.
type Migration struct {
	Target  Target
	Version *semver.Version
	Seq     int
	// Name is the part of the file name after the sequence number.
	Name          string
	Kind          Kind
	NoTransaction bool
	// Depends lists the IDs of migrations this one needs.
	Depends []string
	// Chunk is set for a chunked data migration (herd:chunked): its up
	// script's one statement runs once per range of a key.
	Chunk *Chunk
	// Go is set for a Go migration, whose scripts are then empty.
	Go *GoMigration

	// up, down and validate map an engine name ("" for the plain file) to
	// its script.
	up, down, validate map[string]Script
	// file is the path of the plain (or first) up file, for problems.
	file string
	// id and checksums cache ID and Checksum per engine; Load fills them
	// and they are never written after, so a loaded Migration is safe for
	// concurrent use.
	id        string
	checksums map[string]string
}

// ID is the migration's identifier: "v1.1.0/004_add_custom_field_values".
func (m *Migration) ID() string {
	if m.id != "" {
		return m.id
	}
	return formatID(m.Version, m.Seq, m.Name)
}

func formatID(v *semver.Version, seq int, name string) string {
	return fmt.Sprintf("v%s/%03d_%s", v, seq, name)
}

// String returns the ID.
func (m *Migration) String() string { return m.ID() }

// Up returns the up script for the engine, preferring its override. ok is
// false for a Go migration or when no file serves the engine.
func (m *Migration) Up(engine string) (s Script, ok bool) { return pick(m.up, engine) }

// Down returns the down script for the engine; ok is false when the
// migration has none for it.
func (m *Migration) Down(engine string) (s Script, ok bool) { return pick(m.down, engine) }

// Validate returns the validate script for the engine, if any.
func (m *Migration) Validate(engine string) (s Script, ok bool) { return pick(m.validate, engine) }

// Reversible reports whether the migration can be rolled back on engine.
func (m *Migration) Reversible(engine string) bool {
	if m.Go != nil {
		return m.Go.Down != nil
	}
	_, ok := m.Down(engine)
	return ok
}

// Checksum is the hex SHA-256 of the normalised up script for engine (for
// a Go migration, of its ID), as recorded in the ledgers.
func (m *Migration) Checksum(engine string) string {
	if sum, ok := m.checksums[engine]; ok {
		return sum
	}
	return m.checksum(engine)
}

func (m *Migration) checksum(engine string) string {
	if m.Go != nil {
		return hash("go:" + m.ID())
	}
	s, _ := m.Up(engine)
	return hash(s.SQL)
}

func pick(scripts map[string]Script, engine string) (Script, bool) {
	if s, ok := scripts[engine]; ok {
		return s, true
	}
	s, ok := scripts[""]
	return s, ok
}

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// normalise applies checksum normalisation version 1.
func normalise(b []byte) string {
	s := strings.TrimPrefix(string(b), "\uFEFF")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// Compare orders migrations by (version, sequence).
func Compare(a, b *Migration) int {
	if c := a.Version.Compare(b.Version); c != 0 {
		return c
	}
	return a.Seq - b.Seq
}
