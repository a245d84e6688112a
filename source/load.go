package source

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/herdhq/herd/internal/locklint"
	"github.com/herdhq/herd/internal/sqlsplit"
)

// Engine is an engine a source serves, as the source reads it: the name
// its override files carry (004_x.postgres.up.sql) and the lexical rules
// its scripts are read by, which the source's readers (release's lint)
// read them by too. A dialect.Dialect is one.
type Engine interface {
	// Name is the engine's name, as in override file names.
	Name() string
	// Split cuts a script into statements; it fails on one that does not
	// end, naming the line (a *sqlsplit.Error).
	Split(script string) ([]sqlsplit.Statement, error)
	// Tokens cuts one statement into its words.
	Tokens(stmt string) ([]sqlsplit.Token, error)
}

// Options tunes Load. A nil *Options means the defaults.
type Options struct {
	// Known are the names of further engines whose override files the
	// source may hold without serving them, such as every engine herd is
	// wired with. A file whose suffix names none of Known and none of the
	// engines served is a problem.
	Known []string
	// Rules are the IDs of further lint rules a herd:allow comment may
	// name, such as the lock rules of every engine herd is wired with,
	// so that a plain script may allow one engine's rule in a project
	// that does not serve that engine.
	Rules []string
	// Go lists the Go migrations to add to the SQL files.
	Go []GoMigration
	// Root prefixes file names in problems, e.g. "migrations".
	Root string
}

// Source is a loaded, checked migration source. It is immutable and safe
// for concurrent use.
type Source struct {
	byTarget map[Target][]*Migration
	engines  []Engine
	rules    []string
}

// Engines returns the engines the source was loaded for, in the order
// given to Load. The caller must not modify them.
func (s *Source) Engines() []Engine { return s.engines }

// AllowRules returns the rules a herd:allow comment may name in this
// source: AllowRules, the lock rules every engine shares and those of each
// engine served that has some (a locklint.Linter), then Options.Rules.
// The caller must not modify them.
func (s *Source) AllowRules() []string { return s.rules }

// allowRules returns the rules a herd:allow comment may name with engines
// and the further rules given, each once.
func allowRules(engines []Engine, further []string) []string {
	rules := AllowRules()
	for _, r := range locklint.Everywhere() {
		rules = append(rules, r.ID)
	}
	for _, e := range engines {
		if l, ok := e.(locklint.Linter); ok {
			for _, r := range l.LockRules() {
				rules = append(rules, r.ID)
			}
		}
	}
	for _, r := range further {
		if !slices.Contains(rules, r) {
			rules = append(rules, r)
		}
	}
	return rules
}

// Migrations returns the target's migrations ordered by (version,
// sequence). The caller must not modify them.
func (s *Source) Migrations(t Target) []*Migration { return s.byTarget[t] }

// Versions returns the target's schema versions in ascending order.
func (s *Source) Versions(t Target) []*semver.Version {
	var out []*semver.Version
	for _, m := range s.byTarget[t] {
		if len(out) == 0 || !out[len(out)-1].Equal(m.Version) {
			out = append(out, m.Version)
		}
	}
	return out
}

// Find returns the migration with the given ID, or nil.
func (s *Source) Find(t Target, id string) *Migration {
	for _, m := range s.byTarget[t] {
		if m.ID() == id {
			return m
		}
	}
	return nil
}

var fileName = regexp.MustCompile(`^(\d+)_([a-z0-9_]+)((?:\.[a-z0-9]+)?)\.(up|down|validate)\.sql$`)

// Load reads migrations from fsys, laid out as system/vX.Y.Z/NNN_name.up.sql
// and tenant/vX.Y.Z/…, for the engines it must serve (at least one), and
// checks them: each migration must have an up script for each engine, and
// each script must split by the rules of every engine that runs it. Either
// target folder may be absent. On any defect it returns an *Error listing
// every problem with its file and line, and no Source.
func Load(fsys fs.FS, engines []Engine, opts *Options) (*Source, error) {
	if len(engines) == 0 {
		return nil, errors.New("source: load: no engine to serve")
	}
	if opts == nil {
		opts = &Options{}
	}
	l := &loader{fsys: fsys, opts: opts, engines: engines, known: slices.Clone(opts.Known), rules: allowRules(engines, opts.Rules)}
	for _, e := range engines {
		if !slices.Contains(l.known, e.Name()) {
			l.known = append(l.known, e.Name())
		}
	}
	src := &Source{byTarget: map[Target][]*Migration{}, engines: engines, rules: l.rules}
	for _, t := range []Target{System, Tenant} {
		src.byTarget[t] = l.loadTarget(t)
	}
	l.addGo(src)
	for _, t := range []Target{System, Tenant} {
		for _, m := range src.byTarget[t] {
			m.id = m.ID()
			m.checksums = map[string]string{}
			for _, e := range l.engines {
				m.checksums[e.Name()] = m.checksum(e.Name())
			}
		}
		slices.SortFunc(src.byTarget[t], Compare)
		l.checkOrder(src.byTarget[t])
		l.checkDepends(src.byTarget[t])
	}
	if len(l.problems) > 0 {
		return nil, &Error{Problems: l.problems}
	}
	return src, nil
}

type loader struct {
	fsys    fs.FS
	opts    *Options
	engines []Engine
	// known are the engine names a file may carry: Options.Known, then
	// those of the engines served.
	known    []string
	rules    []string // what herd:allow may name
	problems []Problem
}

func (l *loader) problem(file string, line int, format string, args ...any) {
	if l.opts.Root != "" {
		file = path.Join(l.opts.Root, file)
	}
	p := Problem{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
	if !slices.Contains(l.problems, p) { // a script checked for several engines fails once
		l.problems = append(l.problems, p)
	}
}

func (l *loader) loadTarget(t Target) []*Migration {
	dirs, err := fs.ReadDir(l.fsys, string(t))
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			l.problem(string(t), 0, "read: %v", err)
		}
		return nil
	}
	var out []*Migration
	for _, d := range dirs {
		dir := path.Join(string(t), d.Name())
		if !d.IsDir() {
			continue
		}
		v, err := ParseVersion(d.Name())
		if err != nil {
			l.problem(dir, 0, "version folder %q is not a semantic version (want e.g. v1.2.0)", d.Name())
			continue
		}
		out = append(out, l.loadVersion(t, v, dir)...)
	}
	return out
}

func (l *loader) loadVersion(t Target, v *semver.Version, dir string) []*Migration {
	entries, err := fs.ReadDir(l.fsys, dir)
	if err != nil {
		l.problem(dir, 0, "read: %v", err)
		return nil
	}
	bySeq := map[int]*Migration{}
	var out []*Migration
	for _, e := range entries {
		file := path.Join(dir, e.Name())
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		match := fileName.FindStringSubmatch(e.Name())
		if match == nil {
			l.problem(file, 0, "file name must look like NNN_name[.engine].(up|down|validate).sql, in lower case")
			continue
		}
		seq, _ := strconv.Atoi(match[1])
		name, engine, role := match[2], strings.TrimPrefix(match[3], "."), match[4]
		if engine != "" && !slices.Contains(l.known, engine) {
			l.problem(file, 0, "unknown engine suffix %q (want %s)", engine, oneOf(l.known))
			continue
		}
		m := bySeq[seq]
		if m == nil {
			m = &Migration{Target: t, Version: v, Seq: seq, Name: name, Kind: Schema,
				up: map[string]Script{}, down: map[string]Script{}, validate: map[string]Script{}}
			bySeq[seq] = m
			out = append(out, m)
		} else if m.Name != name {
			l.problem(file, 0, "duplicate sequence number %03d: also used by %s", seq, m.ID())
			continue
		}
		body, err := fs.ReadFile(l.fsys, file)
		if err != nil {
			l.problem(file, 0, "read: %v", err)
			continue
		}
		script := Script{File: file, SQL: normalise(body)}
		switch role {
		case "up":
			m.up[engine] = script
		case "down":
			m.down[engine] = script
		case "validate":
			m.validate[engine] = script
		}
	}
	for _, m := range out {
		l.finish(m)
	}
	return out
}

// finish checks one SQL migration's files and reads its metadata.
func (l *loader) finish(m *Migration) {
	if len(m.up) == 0 {
		for _, scripts := range []map[string]Script{m.down, m.validate} {
			for _, s := range scripts {
				l.problem(s.File, 0, "%s has no up file", path.Base(s.File))
			}
		}
		return
	}
	var first *Meta
	for _, engine := range sortedKeys(m.up) {
		s := m.up[engine]
		meta, problems := ParseMeta(s.SQL, l.rules)
		for _, p := range problems {
			l.problem(s.File, p.Line, "%s", p.Msg)
		}
		if first == nil {
			first, m.file = &meta, s.File
		} else if !first.Equal(meta) {
			l.problem(s.File, 0, "metadata differs from %s; engine overrides must declare the same herd: keys", path.Base(m.file))
		}
	}
	m.Kind, m.NoTransaction, m.Depends, m.Chunk = first.Kind, first.NoTransaction, first.Depends, first.Chunk
	for _, e := range l.engines {
		if _, ok := m.Up(e.Name()); !ok {
			l.problem(path.Dir(m.file), 0, "%s has no up file for %s", m.ID(), e.Name())
		}
	}
	for _, scripts := range []map[string]Script{m.up, m.down, m.validate} {
		l.checkScripts(m, scripts)
	}
	if m.Chunk != nil {
		for _, e := range l.engines {
			if s, ok := m.Up(e.Name()); ok {
				l.checkChunked(s, e, m.Chunk)
			}
		}
	}
}

// checkScripts splits each script by the rules of every engine that will
// run it.
func (l *loader) checkScripts(m *Migration, scripts map[string]Script) {
	for _, e := range l.engines {
		s, ok := pick(scripts, e.Name())
		if !ok {
			continue
		}
		stmts, err := e.Split(s.SQL)
		if err != nil {
			var se *sqlsplit.Error
			if errors.As(err, &se) {
				l.problem(s.File, se.Line, "%s (as %s)", se.Msg, e.Name())
			} else {
				l.problem(s.File, 0, "%v (as %s)", err, e.Name())
			}
			continue
		}
		if len(stmts) == 0 {
			l.problem(s.File, 0, "empty migration: no SQL statement")
		}
	}
}

func (l *loader) addGo(src *Source) {
	for _, g := range l.opts.Go {
		file := "go:" + g.ID
		v, seq, name, err := ParseID(g.ID)
		switch {
		case err != nil:
			l.problem(file, 0, "%v", err)
			continue
		case g.Target != System && g.Target != Tenant:
			l.problem(file, 0, "target must be system or tenant, not %q", g.Target)
			continue
		case g.Up == nil:
			l.problem(file, 0, "Go migration has no Up function")
			continue
		}
		chunk, msg := goChunk(g)
		if msg != "" {
			l.problem(file, 0, "%s", msg)
			continue
		}
		kind := g.Kind
		if kind == "" {
			kind = Data
		}
		g := g
		src.byTarget[g.Target] = append(src.byTarget[g.Target], &Migration{
			Target: g.Target, Version: v, Seq: seq, Name: name, Kind: kind,
			NoTransaction: g.NoTransaction, Depends: g.Depends, Chunk: chunk, Go: &g, file: file,
		})
	}
}

// checkOrder reports duplicate sequence numbers across versions, and
// sequences that go backwards between versions.
func (l *loader) checkOrder(ms []*Migration) {
	for i := 1; i < len(ms); i++ {
		prev, m := ms[i-1], ms[i]
		switch {
		case m.Seq == prev.Seq:
			l.problem(m.file, 0, "duplicate sequence number %03d: also used by %s", m.Seq, prev.ID())
		case m.Seq < prev.Seq:
			l.problem(m.file, 0, "sequence %03d in v%s comes after %s: sequence numbers must grow with the version", m.Seq, m.Version, prev.ID())
		}
	}
}

// checkDepends reports unknown dependencies, dependency cycles and
// dependencies on later migrations.
func (l *loader) checkDepends(ms []*Migration) {
	index := map[string]int{}
	for i, m := range ms {
		index[m.ID()] = i
	}
	for i, m := range ms {
		for _, dep := range m.Depends {
			j, ok := index[canonicalID(dep)]
			switch {
			case !ok:
				l.problem(m.file, 0, "%s depends on unknown migration %s", m.ID(), dep)
			case j == i:
				l.problem(m.file, 0, "dependency cycle: %s depends on itself", m.ID())
			case j > i:
				if cycle := findCycle(ms, index, i); cycle != nil {
					l.problem(m.file, 0, "dependency cycle: %s", strings.Join(cycle, " -> "))
				} else {
					l.problem(m.file, 0, "%s depends on a later migration, %s", m.ID(), dep)
				}
			}
		}
	}
}

// findCycle returns a dependency path from ms[start] back to itself, or nil.
func findCycle(ms []*Migration, index map[string]int, start int) []string {
	seen := map[int]bool{}
	var walk func(i int, trail []string) []string
	walk = func(i int, trail []string) []string {
		trail = append(trail, ms[i].ID())
		for _, dep := range ms[i].Depends {
			j, ok := index[canonicalID(dep)]
			if !ok {
				continue
			}
			if j == start {
				return append(trail, ms[j].ID())
			}
			if !seen[j] {
				seen[j] = true
				if c := walk(j, trail); c != nil {
					return c
				}
			}
		}
		return nil
	}
	return walk(start, nil)
}

// canonicalID rewrites an ID as written (with or without the v) to the
// form ID returns; it leaves malformed IDs alone.
func canonicalID(id string) string {
	v, seq, name, err := ParseID(id)
	if err != nil {
		return id
	}
	return formatID(v, seq, name)
}

// ParseID splits "v1.1.0/004_add_fees" into its version, sequence and name.
func ParseID(id string) (*semver.Version, int, string, error) {
	dir, stem, ok := strings.Cut(id, "/")
	if !ok {
		return nil, 0, "", fmt.Errorf("migration id %q must look like v1.2.0/003_name", id)
	}
	v, err := ParseVersion(dir)
	if err != nil {
		return nil, 0, "", fmt.Errorf("migration id %q: %w", id, err)
	}
	seqText, name, ok := strings.Cut(stem, "_")
	seq, err := strconv.Atoi(seqText)
	if !ok || err != nil || name == "" {
		return nil, 0, "", fmt.Errorf("migration id %q must look like v1.2.0/003_name", id)
	}
	return v, seq, name, nil
}

// ParseVersion parses a schema version written with or without a leading
// "v". It accepts only full semantic versions (1.2.0, 2.1.0-dev).
func ParseVersion(s string) (*semver.Version, error) {
	v, err := semver.StrictNewVersion(strings.TrimPrefix(s, "v"))
	if err != nil {
		return nil, fmt.Errorf("%q is not a semantic version", s)
	}
	return v, nil
}

// oneOf lists names for a message: "a, b or c".
func oneOf(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

func sortedKeys(m map[string]Script) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
