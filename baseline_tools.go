package herd

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/internal/flyway"
	"github.com/herdhq/herd/source"
)

// Tool is a migration tool whose ledger herd baseline reads.
type Tool string

// The tools herd baseline reads, and none: a database no tool recorded.
const (
	// ToolGoose reads goose_db_version(id, version_id, is_applied,
	// tstamp): a version is applied when its newest row says so.
	ToolGoose Tool = "goose"
	// ToolGolangMigrate reads schema_migrations(version, dirty): every
	// migration up to version is applied, and a dirty one is refused.
	ToolGolangMigrate Tool = "golang-migrate"
	// ToolFlyway reads flyway_schema_history: each successful versioned
	// migration, and everything up to a baseline row; a failed one is
	// refused.
	ToolFlyway Tool = "flyway"
	// ToolNone reads no ledger: the database is declared at a version
	// after its schema is compared with that version's reference.
	ToolNone Tool = "none"
)

// toolRecord is one migration a tool's ledger records as applied.
type toolRecord struct {
	// Version is the tool's version, as it writes it ("" for a Flyway
	// repeatable migration).
	Version string
	// Script is the file Flyway ran ("V3__create_teachers.sql"); "" for
	// the other tools, which keep no file name.
	Script string
	// UpTo says that every migration up to this one is applied too:
	// golang-migrate's one version, a Flyway baseline.
	UpTo bool
	// Checksum is the checksum Flyway recorded of a versioned SQL
	// migration's script (see flyway.Checksum); nil for every other
	// record: Flyway's baseline rows, Java and repeatable migrations,
	// and the other tools, which keep none.
	Checksum *int32
}

// String names the record as its tool does, for messages.
func (r toolRecord) String() string {
	if r.Script != "" {
		return r.Script
	}
	return "version " + r.Version
}

// toolLedger is a tool's ledger table, and how to read it: read returns
// what the table, qualified and quoted, records as applied, or a
// *toolRefusal when it is dirty or records a failure.
type toolLedger struct {
	table string
	read  func(ctx context.Context, q dialect.Querier, table string) ([]toolRecord, error)
}

// ledger returns the ledger of tool t; ok is false for ToolNone and an
// unknown tool. Each query is portable SQL on the tool's documented
// columns; only the table's name is engine-specific, and the dialect
// quotes it.
func (t Tool) ledger() (l toolLedger, ok bool) {
	switch t {
	case ToolGoose:
		return toolLedger{table: "goose_db_version", read: readGoose}, true
	case ToolGolangMigrate:
		return toolLedger{table: "schema_migrations", read: readGolangMigrate}, true
	case ToolFlyway:
		return toolLedger{table: "flyway_schema_history", read: readFlyway}, true
	}
	return toolLedger{}, false
}

// toolRefusal is a tool ledger herd will not take over as it is: dirty,
// or recording a failure.
type toolRefusal struct{ msg string }

func (e *toolRefusal) Error() string { return e.msg }

// readToolLedger returns what tool's ledger in db records as applied,
// asking through q. A database without the tool's table is a
// *toolRefusal.
func readToolLedger(ctx context.Context, tool Tool, d dialect.Dialect, q dialect.Queryer, db *dialect.Database) ([]toolRecord, error) {
	l, ok := tool.ledger()
	if !ok {
		return nil, fmt.Errorf("%q keeps no ledger herd reads", tool)
	}
	exists, err := d.TableExists(ctx, q, db, l.table)
	if err != nil {
		return nil, fmt.Errorf("look for %s's table %s: %w", tool, l.table, err)
	}
	if !exists {
		return nil, &toolRefusal{msg: fmt.Sprintf("it has no %s table %s", tool, l.table)}
	}
	records, err := l.read(ctx, q, dialect.Qualify(d, db, l.table))
	if err != nil {
		return nil, fmt.Errorf("read %s's table %s: %w", tool, l.table, err)
	}
	return records, nil
}

// eachRow runs query through q and calls fn with each row's Scan.
func eachRow(ctx context.Context, q dialect.Querier, query string, fn func(scan func(dest ...any) error) error) error {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

// readGoose reads goose_db_version: the newest row of each version says
// whether it is applied; version 0 is the row goose makes with the table.
func readGoose(ctx context.Context, q dialect.Querier, table string) ([]toolRecord, error) {
	applied := map[int64]bool{}
	err := eachRow(ctx, q, "SELECT version_id, is_applied FROM "+table+" ORDER BY id", func(scan func(...any) error) error {
		var (
			version int64
			is      bool
		)
		if err := scan(&version, &is); err != nil {
			return err
		}
		if version > 0 {
			applied[version] = is
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var versions []int64
	for v, is := range applied {
		if is {
			versions = append(versions, v)
		}
	}
	slices.Sort(versions)
	out := make([]toolRecord, len(versions))
	for i, v := range versions {
		out[i] = toolRecord{Version: strconv.FormatInt(v, 10)}
	}
	return out, nil
}

// readGolangMigrate reads schema_migrations' one row: the version every
// migration up to which is applied, refused when dirty.
func readGolangMigrate(ctx context.Context, q dialect.Querier, table string) ([]toolRecord, error) {
	var out []toolRecord
	err := eachRow(ctx, q, "SELECT version, dirty FROM "+table, func(scan func(...any) error) error {
		var (
			version int64
			dirty   bool
		)
		if err := scan(&version, &dirty); err != nil {
			return err
		}
		if dirty {
			return &toolRefusal{msg: fmt.Sprintf("golang-migrate left version %d dirty: it failed part-way; fix the database and force its version with migrate, then baseline it", version)}
		}
		if version > 0 {
			out = append(out, toolRecord{Version: strconv.FormatInt(version, 10), UpTo: true})
		}
		return nil
	})
	return out, err
}

// readFlyway reads flyway_schema_history in the order Flyway installed
// its rows: a successful versioned migration is applied, a baseline row
// applies everything up to its version, an undo or a delete marker takes
// its version back, and the schema-creation marker is passed over. A
// versioned SQL migration's checksum is kept, for checkChecksum. A failed
// row is refused.
func readFlyway(ctx context.Context, q dialect.Querier, table string) ([]toolRecord, error) {
	var out []toolRecord
	err := eachRow(ctx, q, "SELECT version, type, script, checksum, success FROM "+table+" ORDER BY installed_rank", func(scan func(...any) error) error {
		var (
			version      sql.NullString
			kind, script string
			checksum     sql.NullInt32
			success      bool
		)
		if err := scan(&version, &kind, &script, &checksum, &success); err != nil {
			return err
		}
		if !success {
			return &toolRefusal{msg: fmt.Sprintf("flyway records %s (version %s) as failed; repair it with flyway first", script, version.String)}
		}
		switch kind = strings.ToUpper(kind); {
		case kind == "SCHEMA":
		case kind == "DELETE" || strings.HasPrefix(kind, "UNDO"):
			out = slices.DeleteFunc(out, func(r toolRecord) bool { return version.Valid && r.Version == version.String })
		default:
			r := toolRecord{Version: version.String, Script: script, UpTo: flywayBaseline(kind)}
			if kind == "SQL" && version.Valid && checksum.Valid {
				r.Checksum = &checksum.Int32
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// flywayBaseline reports whether a flyway_schema_history row of type kind
// (upper case) is a baseline, which stands for every migration up to its
// version: the row flyway baseline writes (BASELINE), and a baseline
// migration's (SQL_BASELINE, JDBC_BASELINE; SQL_STATE_SCRIPT and
// JDBC_STATE_SCRIPT in Flyway 7.13 to 7.15, before they were renamed).
func flywayBaseline(kind string) bool {
	return kind == "BASELINE" || strings.HasSuffix(kind, "_BASELINE") || strings.HasSuffix(kind, "_STATE_SCRIPT")
}

// checkChecksum refuses the tool's record r of migration m when the
// checksum the tool recorded of the script it ran (Flyway's) is not that
// of m's up file for engine: the file changed after the tool ran it, and
// the tenant's schema may not be what herd's file says, as flyway
// validate would say. A record without a checksum, and a Go migration,
// which has no file, pass.
func checkChecksum(tool Tool, r toolRecord, m *source.Migration, engine string) error {
	if r.Checksum == nil {
		return nil
	}
	script, ok := m.Up(engine)
	if !ok {
		return nil
	}
	if sum := flyway.Checksum(script.SQL); sum != *r.Checksum {
		return &toolRefusal{msg: fmt.Sprintf("%s's checksum of %s (version %s) is %d, herd's file %s has %d: it is not the script %s ran; restore it, or baseline with --ignore-checksums if the change is intended",
			tool, r.Script, r.Version, *r.Checksum, script.File, sum, tool)}
	}
	return nil
}
