package execute

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/internal/sqlsplit"
	"github.com/herdhq/herd/plan"
	"github.com/herdhq/herd/source"
)

// action is one statement of a migration, or a Go migration's function.
type action struct {
	n    int // 1-based
	file string
	line int
	sql  string // "" for a Go migration
	run  func(ctx context.Context, db source.DB) error
	// mayLeave is set when the action may move the session out of the
	// database (see dialect.Confinement): herd checks where the session
	// is after it runs, or before the transaction it ran in records it.
	mayLeave bool
}

// actions returns what a step runs: the statements of its script, or its
// Go function.
func (s *Session) actions(m *source.Migration, dir plan.Direction) ([]action, error) {
	if m.Go != nil {
		fn := m.Go.Up
		if dir == plan.Down {
			fn = m.Go.Down
		}
		if fn == nil {
			return nil, fmt.Errorf("%s: Go migration has no %s function", m.ID(), dir)
		}
		return []action{{n: 1, file: "go:" + m.ID(), run: fn, mayLeave: s.confine != nil}}, nil
	}
	engine := s.e.dialect.Name()
	script, ok := m.Up(engine)
	if dir == plan.Down {
		script, ok = m.Down(engine)
	}
	if !ok {
		return nil, fmt.Errorf("%s: no %s script for %s", m.ID(), dir, engine)
	}
	actions, err := s.statements(script)
	if err != nil || dir != plan.Up {
		return actions, err
	}
	for i := range actions {
		if slices.Contains(s.existing[m.ID()], actions[i].n) {
			actions[i].run = func(context.Context, source.DB) error { return nil }
		}
	}
	return actions, nil
}

func (s *Session) statements(script source.Script) ([]action, error) {
	stmts, err := s.e.splits.split(s.e.dialect, script.SQL)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", script.File, err)
	}
	out := make([]action, len(stmts))
	for i, st := range stmts {
		sqlText := st.SQL
		out[i] = action{n: i + 1, file: script.File, line: st.Line, sql: sqlText, run: func(ctx context.Context, db source.DB) error {
			_, err := db.ExecContext(ctx, sqlText)
			return err
		}, mayLeave: s.confine != nil && s.confine.MayLeave(sqlText)}
	}
	return out, nil
}

// validateMayLeave reports whether a statement of m's validate script may
// move the session out of the database.
func (s *Session) validateMayLeave(m *source.Migration) bool {
	script, ok := m.Validate(s.e.dialect.Name())
	if s.confine == nil || !ok {
		return false
	}
	stmts, err := s.e.splits.split(s.e.dialect, script.SQL)
	if err != nil {
		return false // validate reports it
	}
	return slices.ContainsFunc(stmts, func(st sqlsplit.Statement) bool { return s.confine.MayLeave(st.SQL) })
}

// validate runs m's validate script, if it has one. Every statement but the
// last is executed; the last must return one row whose first column is
// true (true, or a non-zero number).
func (s *Session) validate(ctx context.Context, db source.DB, m *source.Migration) error {
	script, ok := m.Validate(s.e.dialect.Name())
	if !ok {
		return nil
	}
	stmts, err := s.e.splits.split(s.e.dialect, script.SQL)
	if err != nil {
		return fmt.Errorf("validate %s: %w", script.File, err)
	}
	for i, st := range stmts {
		if i < len(stmts)-1 {
			if _, err := db.ExecContext(ctx, st.SQL, dialect.OneShot(s.e.dialect)...); err != nil {
				return fmt.Errorf("validate %s:%d: %w", script.File, st.Line, err)
			}
			continue
		}
		var v any
		if err := db.QueryRowContext(ctx, st.SQL, dialect.OneShot(s.e.dialect)...).Scan(&v); err != nil {
			return fmt.Errorf("validate %s:%d: %w", script.File, st.Line, err)
		}
		if !Truthy(v) {
			return fmt.Errorf("validate %s:%d: check returned %v", script.File, st.Line, printable(v))
		}
	}
	return nil
}

// Truthy interprets one SQL value as a boolean, across engines: Postgres
// returns bool, MySQL and SQLite numbers (sometimes as text).
func Truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case int64:
		return x != 0
	case float64:
		return x != 0
	case []byte:
		return truthyText(string(x))
	case string:
		return truthyText(x)
	default:
		return false
	}
}

func truthyText(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "t" || s == "true" {
		return true
	}
	f, err := strconv.ParseFloat(s, 64)
	return err == nil && f != 0
}

func printable(v any) any {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	if v == nil {
		return "NULL"
	}
	return v
}

var _ source.DB = (*sql.Tx)(nil)
var _ source.DB = (*sql.Conn)(nil)

// dml are the statements that never commit implicitly, on any engine.
var dml = []string{"INSERT", "UPDATE", "DELETE", "REPLACE", "SELECT", "WITH"}

// onlyDML reports whether every action is a data statement, which runs
// inside a transaction even where DDL does not (MySQL).
func onlyDML(actions []action) bool {
	for _, a := range actions {
		if !a.isDML() {
			return false
		}
	}
	return true
}

// isDML reports whether the action is a data statement.
func (a action) isDML() bool {
	words := strings.FieldsFunc(a.sql, func(r rune) bool { return unicode.IsSpace(r) || r == '(' })
	return len(words) > 0 && slices.Contains(dml, strings.ToUpper(words[0]))
}
