package execute

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/herdhq/herd/source"
)

// Settle decides, where the database can tell, whether the uncertain
// statement of the database's dirty migration (see Entry.Uncertain) ran:
//   - a data statement runs in one transaction with the ledger write that
//     records it done (see outsideTransaction), so a data statement
//     recorded as started and not done did not run;
//   - a CREATE TABLE ran when its table exists, a DROP TABLE when its
//     table does not.
//
// It returns UncertainUnknown when there is no uncertain statement or the
// database cannot tell (any other DDL): that stays for herd repair and an
// operator. The migration is read from src's target t.
func (s *Session) Settle(ctx context.Context, src *source.Source, t source.Target) (Uncertain, Entry, error) {
	entries, err := s.Ledger(ctx)
	if err != nil {
		return UncertainUnknown, Entry{}, err
	}
	for _, e := range entries {
		if !e.Uncertain() {
			continue
		}
		m := src.Find(t, e.ID)
		if m == nil {
			return UncertainUnknown, e, nil
		}
		actions, err := s.actions(m, e.Direction)
		if err != nil || len(actions) != e.StatementsTotal || e.StatementStarted > len(actions) {
			return UncertainUnknown, e, nil // the script changed: an operator decides
		}
		verdict, err := s.settleStatement(ctx, actions[e.StatementStarted-1])
		if err != nil {
			return UncertainUnknown, e, fmt.Errorf("settle %s: %w", e.Describe(), err)
		}
		return verdict, e, nil
	}
	return UncertainUnknown, Entry{}, nil
}

// tableDDL matches CREATE TABLE and DROP TABLE of one unqualified table,
// with the table's name in the last group.
var tableDDL = regexp.MustCompile("(?is)^\\s*(CREATE|DROP)\\s+TABLE\\s+(?:IF\\s+(?:NOT\\s+)?EXISTS\\s+)?[`\"]?([A-Za-z_][A-Za-z0-9_$]*)[`\"]?\\s*(?:\\(|;|$)")

func (s *Session) settleStatement(ctx context.Context, a action) (Uncertain, error) {
	if a.isDML() {
		return UncertainNotRan, nil
	}
	match := tableDDL.FindStringSubmatch(a.sql)
	if match == nil {
		return UncertainUnknown, nil
	}
	exists, err := s.e.dialect.TableExists(ctx, s.conn, s.db, match[2])
	if err != nil {
		return UncertainUnknown, err
	}
	if exists == strings.EqualFold(match[1], "CREATE") {
		return UncertainRan, nil
	}
	return UncertainNotRan, nil
}
