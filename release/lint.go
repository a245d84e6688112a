package release

import (
	"fmt"
	"slices"
	"strings"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/internal/sqlsplit"
	"github.com/herdhq/herd/source"
)

// The kinds of destructive statement Lint reports.
const (
	dropTable    = "DROP TABLE"
	dropColumn   = "DROP COLUMN"
	renameTable  = "RENAME TABLE"
	renameColumn = "RENAME COLUMN"
)

// Findings are what Lint found, each with its file and line: Errors are
// certain to make a later command fail or refuse; Warnings may be meant
// and only deserve a look; Locks are statements that hold a lock the
// application queues behind, or rewrite a table, while they run: warnings
// unless the caller is strict.
type Findings struct {
	Errors, Warnings, Locks []source.Problem
}

// Lint checks the matrix against the source and the configuration it was
// built from, and returns what it finds (empty Findings when all is well).
// Errors:
//
//   - a declared release marked breaking_changes without a rollback_point,
//     at cfg.Path and the release's line;
//   - a DROP TABLE, DROP COLUMN, RENAME TABLE or RENAME COLUMN statement in
//     an up script (system or tenant, plain or engine override) of a
//     migration that belongs to a release not marked breaking_changes, at
//     the script's file (its path inside the source, as source.Script.File
//     gives it) and the statement's first line;
//   - a declared system: that is no system schema version (so
//     SystemSchema, and every command that follows it, refuses the
//     release), at the release's line;
//   - a migration without a down file, for an engine the source serves,
//     that going back to a declared rollback_point runs (see Spans), at its
//     up file;
//   - a statement of a tenant migration's up, down or validate file that
//     leaves the tenant's database or schema (USE, SET search_path,
//     set_config('search_path', …), CREATE or DROP DATABASE or SCHEMA,
//     ATTACH) or, on a server with a PostgreSQL schema per tenant, creates
//     an object in schema public, unless the file allows the rule with a
//     herd:allow comment (see source.AllowRules), at the statement;
//   - a herd:allow comment among a statement's comments that names no
//     rule, at the statement.
//
// Warnings:
//
//   - a declared release that omits system: and has no system schema of
//     its own version, so it goes with a lower one (or none), at the
//     release's line;
//   - a migration without a down file in a release that is not breaking,
//     which tenants may therefore be rolled back from to the release
//     before it, or in a version folder whose other migrations have one,
//     or with a down file for some engines and not others, at its up file;
//   - a flag whose required_version is above every release's tenant
//     schema, so it is off for every tenant, at the flag's line.
//
// Locks: a statement of an up script (system or tenant, plain or engine
// override) that holds a lock the application queues behind, or rewrites
// a table, by the rules of each engine that runs it (locklint.Linter) and
// locklint.DMLWithoutWhere (not in a migration whose header says
// herd:chunked), on a table the script did not create, unless the file's
// header or the statement's own comments allow the rule with herd:allow,
// at the statement, with the rule's ID and the safe alternative.
//
// A migration at schema version V of a target belongs to the lowest release
// whose schema version for that target is at least V. The package
// documentation says exactly which statements count. src may be nil, for
// the rules on herd.yaml alone. Lint reads no database and is safe for
// concurrent use.
func Lint(m *Matrix, src *source.Source, cfg *config.Config) Findings {
	var f Findings
	add := func(to *[]source.Problem, p source.Problem) {
		if !slices.Contains(*to, p) { // a plain script read as several engines fails once
			*to = append(*to, p)
		}
	}
	for _, r := range m.releases {
		if r.Declared && r.Breaking && r.RollbackPoint == "" {
			add(&f.Errors, source.Problem{File: cfg.Path, Line: r.Line, Msg: fmt.Sprintf(
				"releases.%s: breaking_changes without a rollback_point: name the release tenants go back to", r.Name)})
		}
	}
	if src == nil {
		f.Warnings = append(f.Warnings, lintFlags(m, cfg)...)
		return f
	}
	for _, r := range m.releases {
		if r.Declared {
			lintSystem(m, r, cfg.Path, &f)
		}
	}
	for _, t := range []source.Target{source.System, source.Tenant} {
		for _, mig := range src.Migrations(t) {
			r, ok := m.owner(t, mig.Version)
			if !ok || r.Breaking || mig.Go != nil {
				continue
			}
			for _, s := range upScripts(mig, src.Engines()) {
				for _, e := range s.engines {
					stmts, err := e.Split(s.SQL)
					if err != nil {
						continue // source.Load reports it for the engines in use
					}
					for _, st := range stmts {
						toks, err := e.Tokens(st.SQL)
						if err != nil {
							continue // the statement split, so this does not happen
						}
						for _, kind := range destructive(toks) {
							add(&f.Errors, source.Problem{File: s.File, Line: st.Line, Msg: fmt.Sprintf(
								"%s in %s migration %s, but its release %s is not marked breaking_changes%s",
								kind, t, mig.ID(), r.Name, undeclared(r))})
						}
					}
				}
			}
		}
	}
	lintEscapes(src, cfg, func(p source.Problem) { add(&f.Errors, p) })
	lintLocks(src, &f, add)
	lintDowns(m, src, &f)
	f.Warnings = append(f.Warnings, lintFlags(m, cfg)...)
	return f
}

// lintSystem checks the system schema of declared release r.
func lintSystem(m *Matrix, r Release, configPath string, f *Findings) {
	if len(m.system) == 0 {
		return // no system migrations: nothing to bring the system database to
	}
	at := func(to *[]source.Problem, format string, args ...any) {
		*to = append(*to, source.Problem{File: configPath, Line: r.Line,
			Msg: fmt.Sprintf("releases.%s: ", r.Name) + fmt.Sprintf(format, args...)})
	}
	if r.SystemDeclared {
		if _, err := m.SystemSchema(r.Name); err != nil {
			at(&f.Errors, "system: %s is not a system schema version (system schemas: %s): "+
				"migrate --all --to %s and rollout start --to %s would refuse it", r.System, names(m.system), r.Name, r.Name)
		}
		return
	}
	switch {
	case r.System == nil:
		at(&f.Warnings, "system: omitted, and no system schema version is at or below %s (the first is v%s): "+
			"the release leaves the system database as it is; write system: to say which it needs", r.Version, m.system[0])
	case !r.System.Equal(r.Version):
		at(&f.Warnings, "system: omitted, and there is no system schema v%s: the release goes with v%s, "+
			"the highest at or below it; write system: %s to say so", r.Version, r.System, r.System)
	}
}

// lintFlags warns of flags that no release's tenant schema reaches.
func lintFlags(m *Matrix, cfg *config.Config) []source.Problem {
	var top *Release
	for i, r := range m.releases {
		if top == nil || r.Tenant.GreaterThan(top.Tenant) {
			top = &m.releases[i]
		}
	}
	var out []source.Problem
	for _, fl := range cfg.Flags {
		if fl.RequiredVersion == nil || top != nil && !top.Tenant.LessThan(fl.RequiredVersion) {
			continue
		}
		highest := "there are no releases"
		if top != nil {
			highest = fmt.Sprintf("the highest is v%s, of release %s", top.Tenant, top.Name)
		}
		out = append(out, source.Problem{File: cfg.Path, Line: fl.Line, Msg: fmt.Sprintf(
			"flags.%s: required_version %s is above every release's tenant schema (%s): the flag is off for every tenant",
			fl.Name, fl.RequiredVersion, highest)})
	}
	return out
}

func undeclared(r Release) string {
	if r.Declared {
		return ""
	}
	return " (declare it under releases: with breaking_changes and a rollback_point)"
}

// script is one file of a migration with the engines that read it: those
// that run it. A plain file is run by every engine the source serves that
// has no override of its own, and is read only by their rules: a MySQL
// script's DELIMITER and BEGIN … END bodies read as PostgreSQL or SQLite
// would split at every semicolon, and make the statements of a procedure's
// body look like top-level ones.
type script struct {
	source.Script
	engines []source.Engine
}

// upScripts returns m's up files for the engines in use.
func upScripts(m *source.Migration, inUse []source.Engine) []script {
	return scripts(m.Up, inUse)
}

// scripts returns the files that get gives for the engines in use, each
// with the engines that read it: the plain file first, then the overrides
// in the order of their engines' names.
func scripts(get func(engine string) (source.Script, bool), inUse []source.Engine) []script {
	var out []script
	plain, hasPlain := get("")
	var plainEngines []source.Engine
	byName := func(a, b source.Engine) int { return strings.Compare(a.Name(), b.Name()) }
	for _, e := range slices.SortedFunc(slices.Values(inUse), byName) {
		s, ok := get(e.Name())
		switch {
		case !ok:
		case hasPlain && s.File == plain.File:
			plainEngines = append(plainEngines, e)
		default:
			out = append(out, script{s, []source.Engine{e}})
		}
	}
	if len(plainEngines) > 0 {
		out = append([]script{{plain, plainEngines}}, out...)
	}
	return out
}

// destructive returns the kinds of destructive change the statement of
// tokens toks makes, each once, in the order they appear.
func destructive(toks []sqlsplit.Token) []string {
	word := func(i int) string {
		if i < len(toks) {
			return toks[i].Word
		}
		return ""
	}
	switch word(0) {
	case "DROP":
		i := 1
		if w := word(i); w == "TEMPORARY" || w == "TEMP" {
			i++
		}
		if word(i) == "TABLE" {
			return []string{dropTable}
		}
	case "RENAME":
		if word(1) == "TABLE" {
			return []string{renameTable}
		}
	case "ALTER":
		i := 1
		for w := word(i); w == "ONLINE" || w == "IGNORE"; w = word(i) {
			i++
		}
		if word(i) != "TABLE" {
			return nil
		}
		i++
		if word(i) == "IF" && word(i+1) == "EXISTS" {
			i += 2
		}
		if word(i) == "ONLY" {
			i++
		}
		i = skipName(toks, i)
		if i < len(toks) && toks[i].Punct == '*' {
			i++
		}
		return alterActions(toks[i:])
	}
	return nil
}

// notColumn are the words after an ALTER TABLE action's DROP that drop
// something other than a column.
var notColumn = map[string]bool{
	"CONSTRAINT": true, "INDEX": true, "KEY": true, "PRIMARY": true, "FOREIGN": true,
	"UNIQUE": true, "CHECK": true, "PARTITION": true, "SYSTEM": true, "PERIOD": true,
	"DEFAULT": true, "TRIGGER": true,
}

// alterActions reads the comma-separated actions of an ALTER TABLE after
// the table's name.
func alterActions(toks []sqlsplit.Token) []string {
	var kinds []string
	add := func(k string) {
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	word := func(i int) string {
		if i < len(toks) {
			return toks[i].Word
		}
		return ""
	}
	depth, start := 0, true
	for i, tok := range toks {
		if start {
			start = false
			switch word(i) {
			case "DROP":
				if i+1 < len(toks) && !notColumn[word(i+1)] {
					add(dropColumn)
				}
			case "RENAME":
				switch next := word(i + 1); {
				case next == "COLUMN":
					add(renameColumn)
				case next == "TO" || next == "AS":
					add(renameTable)
				case next == "INDEX" || next == "KEY" || next == "CONSTRAINT":
				case i+1 < len(toks):
					// PostgreSQL's RENAME a TO b renames a column;
					// MySQL's RENAME b, without TO, the table.
					if j := skipName(toks, i+1); word(j) == "TO" {
						add(renameColumn)
					} else {
						add(renameTable)
					}
				}
			}
		}
		switch {
		case tok.Punct == '(':
			depth++
		case tok.Punct == ')':
			depth--
		case tok.Punct == ',' && depth == 0:
			start = true
		}
	}
	return kinds
}

// skipName returns the index after the possibly qualified name that starts
// at toks[i].
func skipName(toks []sqlsplit.Token, i int) int {
	isName := func(i int) bool {
		return i < len(toks) && (toks[i].Word != "" || toks[i].Quoted)
	}
	if !isName(i) {
		return i
	}
	i++
	for i+1 < len(toks) && toks[i].Punct == '.' && isName(i+1) {
		i += 2
	}
	return i
}
