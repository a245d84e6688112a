package release

import (
	"fmt"
	"slices"

	"github.com/herdhq/herd/internal/locklint"
	"github.com/herdhq/herd/internal/sqlsplit"
	"github.com/herdhq/herd/source"
)

// lintLocks reports the statements of up scripts (system and tenant, plain
// or engine override) that hold a lock the application queues behind, or
// rewrite a table, by the rules of each engine that runs the script (its
// locklint.Linter) and the rule every engine shares, unless the file or
// the statement allows the rule (a herd:allow comment); and, as errors,
// statement herd:allow comments that name no rule.
func lintLocks(src *source.Source, f *Findings, add func(*[]source.Problem, source.Problem)) {
	rules := src.AllowRules()
	for _, t := range []source.Target{source.System, source.Tenant} {
		for _, mig := range src.Migrations(t) {
			if mig.Go != nil {
				continue
			}
			for _, s := range upScripts(mig, src.Engines()) {
				meta, _ := source.ParseMeta(s.SQL, rules) // source.Load reports its problems
				for _, e := range s.engines {
					stmts, found, err := lockFindings(e, s.SQL)
					if err != nil {
						continue // source.Load reports it for the engines in use
					}
					for _, st := range stmts {
						_, bad := source.StatementAllows(st.Comments, rules)
						for _, msg := range bad {
							add(&f.Errors, source.Problem{File: s.File, Line: st.Line, Msg: msg})
						}
					}
					for _, fd := range found {
						st := stmts[fd.Statement]
						if !allows(meta, st, rules, fd.Rule.ID) {
							add(&f.Locks, source.Problem{File: s.File, Line: st.Line, Msg: lockMessage(fd)})
						}
					}
				}
			}
		}
	}
}

// lockFindings splits script by e's rules and returns its statements with
// the lock rules they break: e's own and those every engine shares (an
// UPDATE or DELETE without WHERE, except in a chunked migration), other
// than on tables the script created.
func lockFindings(e source.Engine, script string) ([]sqlsplit.Statement, []locklint.Finding, error) {
	stmts, err := e.Split(script)
	if err != nil {
		return nil, nil, err
	}
	toks := make([]locklint.Tokens, len(stmts))
	for i, st := range stmts {
		if toks[i], err = e.Tokens(st.SQL); err != nil {
			return nil, nil, err
		}
	}
	var found []locklint.Finding
	if l, ok := e.(locklint.Linter); ok {
		found = l.LintLocks(toks)
	}
	if !source.Declares(script, "chunked") { // herd runs a chunked migration range by range
		created := locklint.Created{}
		for i, t := range toks {
			if table, ok := locklint.UnboundedDML(t); ok && !created.Has(table) {
				found = append(found, locklint.Finding{Statement: i, Rule: locklint.DMLWithoutWhere, Table: table})
			}
			created.Note(t)
		}
	}
	slices.SortStableFunc(found, func(a, b locklint.Finding) int { return a.Statement - b.Statement })
	return stmts, found, nil
}

// allows reports whether the file (its header's herd:allow) or the
// statement (a herd:allow among its comments) allows rule.
func allows(meta source.Meta, st sqlsplit.Statement, rules []string, rule string) bool {
	if meta.Allows(rule) {
		return true
	}
	named, _ := source.StatementAllows(st.Comments, rules)
	return slices.Contains(named, rule)
}

// lockMessage says what a finding's statement does and what to do instead.
func lockMessage(f locklint.Finding) string {
	on := ""
	if f.Table != "" {
		on = " on " + f.Table
	}
	return fmt.Sprintf("%s: %s%s %s; instead: %s (or write -- herd:allow %s before the statement if it is meant)",
		f.Rule.ID, f.Rule.What, on, f.Rule.Lock, f.Rule.Instead, f.Rule.ID)
}
