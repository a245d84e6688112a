package herd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/internal/sqlsplit"
	"github.com/herdhq/herd/source"
)

// Rewrite is a statement of an applied up file that updates rows of a
// table whose triggers (or, on MySQL, ON UPDATE CURRENT_TIMESTAMP columns)
// may have rewritten values as it ran: a down migration puts back what it
// knows, never the values those rewrote.
type Rewrite struct {
	// Migration is the migration's ID, File and Line the statement's.
	Migration, File string
	Line            int
	// Table is the table whose rows it updates.
	Table string
}

// Rewrites returns the statements that going back to version to by down
// migrations would leave rewritten in tenant code: those of the up files
// of the migrations applied above to that UPDATE, REPLACE or INSERT … ON
// DUPLICATE KEY UPDATE / ON CONFLICT … DO UPDATE rows of a table that, in
// the tenant's database now, has triggers or columns set on update. It
// returns none on engines that cannot list such tables.
func (f *Fleet) Rewrites(ctx context.Context, code, to string) ([]Rewrite, error) {
	version, err := f.resolveTarget(source.Tenant, to)
	if err != nil {
		return nil, err
	}
	ref := control.TenantRef(code)
	tg, err := f.resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	rw, ok := tg.dialect.(dialect.RowRewriters)
	if !ok {
		return nil, nil
	}
	entries, err := f.Ledger(ctx, ref)
	if err != nil {
		return nil, err
	}
	db, closeDB, err := tg.open(ctx)
	if err != nil {
		return nil, err
	}
	tables, err := rw.RewritingTables(ctx, db.DB, db)
	closeDB()
	if err != nil || len(tables) == 0 {
		return nil, err
	}
	applied := map[string]bool{}
	for _, e := range entries {
		applied[e.ID] = true // a dirty one ran in part, and goes back too
	}
	var out []Rewrite
	for _, m := range f.src.Migrations(source.Tenant) {
		if !m.Version.GreaterThan(version) || !applied[m.ID()] {
			continue
		}
		script, ok := m.Up(tg.dialect.Name())
		if !ok {
			continue // a Go migration: herd cannot tell
		}
		stmts, err := tg.dialect.Split(script.SQL)
		if err != nil {
			return nil, err
		}
		for _, st := range stmts {
			toks, err := tg.dialect.Tokens(st.SQL)
			if err != nil {
				continue // the statement split, so this does not happen
			}
			t := updatedTable(toks)
			if i := slices.IndexFunc(tables, func(s string) bool { return strings.EqualFold(s, t) }); t != "" && i >= 0 {
				out = append(out, Rewrite{Migration: m.ID(), File: script.File, Line: st.Line, Table: tables[i]})
			}
		}
	}
	return out, nil
}

// updatedTable returns the table whose existing rows the statement of
// tokens toks updates, or "": UPDATE t, REPLACE [INTO] t, INSERT INTO t …
// ON DUPLICATE KEY UPDATE or … ON CONFLICT … DO UPDATE.
func updatedTable(toks []sqlsplit.Token) string {
	if len(toks) == 0 {
		return ""
	}
	skip := func(i int, words ...string) int {
		for i < len(toks) && slices.Contains(words, toks[i].Word) {
			i++
		}
		return i
	}
	upserts := false
	for i := 0; i+1 < len(toks); i++ {
		if toks[i].Word == "DUPLICATE" || toks[i].Word == "DO" && toks[i+1].Word == "UPDATE" {
			upserts = true
		}
	}
	var i int
	switch toks[0].Word {
	case "UPDATE":
		i = skip(1, "LOW_PRIORITY", "IGNORE", "ONLY", "OR", "REPLACE", "ROLLBACK", "ABORT", "FAIL")
	case "REPLACE":
		i = skip(1, "LOW_PRIORITY", "DELAYED", "INTO")
	case "INSERT":
		if !upserts {
			return ""
		}
		i = skip(1, "LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE", "INTO")
	default:
		return ""
	}
	name := ""
	for ; i < len(toks); i += 2 {
		name = toks[i].Ident()
		if name == "" || i+1 >= len(toks) || toks[i+1].Punct != '.' {
			break
		}
	}
	return name
}

// RestoreSnapshot takes tenant code back to version to by restoring and
// verifying its newest snapshot at that version, even where down
// migrations could take it there: the way back that also restores values
// the tenant's triggers rewrote. It discards the writes made since the
// snapshot, and returns how the tenant got there.
func (f *Fleet) RestoreSnapshot(ctx context.Context, code, to string) (string, error) {
	version, err := f.resolveTarget(source.Tenant, to)
	if err != nil {
		return "", err
	}
	record, err := f.control.LatestSnapshot(ctx, code, version.String())
	if errors.Is(err, control.ErrNoSnapshot) {
		return "", &InputError{Err: fmt.Errorf("restore tenant %q: it has no snapshot at v%s", code, version)}
	}
	if err != nil {
		return "", err
	}
	if err := f.restoreSnapshot(ctx, record); err != nil {
		return "", fmt.Errorf("restore tenant %q from snapshot %s: %w", code, record.Name, err)
	}
	return "snapshot " + record.Name, nil
}

// DownMigrations is how Restore reports a tenant taken back by its down
// migrations.
const DownMigrations = "down migrations"
