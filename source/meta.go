package source

import (
	"fmt"
	"slices"
	"strings"
)

// Meta is the metadata a migration declares in the leading comment lines
// of its up file:
//
//	-- herd:kind data
//	-- herd:no-transaction
//	-- herd:depends v1.0.0/002_create_classes
//	-- herd:allow switch-database create-database: the archive is shared
//	-- herd:chunked table=students key=id size=10000 pause=100ms target=250ms
type Meta struct {
	Kind          Kind
	NoTransaction bool
	Depends       []string
	// Chunk is set when the migration runs chunked (see Chunk).
	Chunk *Chunk
	// Allow names the lint rules (see Source.AllowRules) the script means
	// to break. Unlike the other keys it is read from each script on its
	// own (an up, down or validate file, plain or engine override): it
	// covers the statements of the file it is written in. The same comment
	// among a statement's own comments covers that statement alone (see
	// StatementAllows).
	Allow []string
}

// The rules a herd:allow comment may name: what a tenant migration may not
// do unless its file says it is meant (herd lint checks them).
const (
	// AllowSwitchDatabase: USE, SET search_path, SET SCHEMA,
	// set_config('search_path', …): the session moves to another database
	// or schema.
	AllowSwitchDatabase = "switch-database"
	// AllowCreateDatabase: CREATE DATABASE or CREATE SCHEMA.
	AllowCreateDatabase = "create-database"
	// AllowDropDatabase: DROP DATABASE or DROP SCHEMA.
	AllowDropDatabase = "drop-database"
	// AllowAttachDatabase: SQLite's ATTACH and DETACH.
	AllowAttachDatabase = "attach-database"
	// AllowOutsideSchema: a CREATE that names its object in schema public
	// on a server with one PostgreSQL schema per tenant.
	AllowOutsideSchema = "outside-schema"
)

// AllowRules are the rules a herd:allow comment may name whatever the
// engine, in the order herd's documentation lists them. A Source adds the
// lock rules of the engines it serves (Source.AllowRules).
func AllowRules() []string {
	return []string{AllowSwitchDatabase, AllowCreateDatabase, AllowDropDatabase, AllowAttachDatabase, AllowOutsideSchema}
}

// Allows reports whether the metadata allows rule.
func (m Meta) Allows(rule string) bool { return slices.Contains(m.Allow, rule) }

// Equal reports whether two Metas declare the same thing, Allow aside
// (each file has its own).
func (m Meta) Equal(o Meta) bool {
	return m.Kind == o.Kind && m.NoTransaction == o.NoTransaction && slices.Equal(m.Depends, o.Depends) &&
		(m.Chunk == nil) == (o.Chunk == nil) && (m.Chunk == nil || *m.Chunk == *o.Chunk)
}

// ParseMeta reads the herd: keys from the comment lines that open script;
// it stops at the first line that is neither blank nor a "--" comment.
// rules are those herd:allow may name (Source.AllowRules). Problems carry
// the line they are on.
func ParseMeta(script string, rules []string) (Meta, []Problem) {
	meta := Meta{Kind: Schema}
	var problems []Problem
	chunkLine, kindSet := 0, false
	header(script, func(line int, key, value string) bool {
		if msg := meta.set(key, value, rules); msg != "" {
			problems = append(problems, Problem{Line: line, Msg: msg})
		}
		if key == "chunked" && meta.Chunk != nil && chunkLine == 0 {
			chunkLine = line
		}
		kindSet = kindSet || key == "kind"
		return true
	})
	if meta.Chunk != nil && !kindSet {
		meta.Kind = Data // a chunked migration changes data unless it says otherwise
	}
	if meta.Chunk != nil && meta.NoTransaction {
		problems = append(problems, Problem{Line: chunkLine, Msg: "herd:chunked runs each range in a transaction of its own; it cannot go with herd:no-transaction"})
	}
	return meta, problems
}

// Declares reports whether the comment lines that open script hold the
// herd: key, such as "chunked" for "-- herd:chunked table=t …", whatever
// its value.
func Declares(script, key string) bool {
	found := false
	header(script, func(_ int, k, _ string) bool {
		found = k == key
		return !found
	})
	return found
}

// header calls fn with the line, key and value of each herd: key in the
// comment lines that open script, until fn returns false; it stops at the
// first line that is neither blank nor a "--" comment.
func header(script string, fn func(line int, key, value string) bool) {
	for i, line := range strings.Split(script, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		comment, ok := strings.CutPrefix(line, "--")
		if !ok {
			return
		}
		key, ok := strings.CutPrefix(strings.TrimSpace(comment), "herd:")
		if !ok {
			continue
		}
		key, value, _ := strings.Cut(key, " ")
		if !fn(i+1, key, strings.TrimSpace(value)) {
			return
		}
	}
}

// set applies one key and returns a problem message, or "".
func (m *Meta) set(key, value string, rules []string) string {
	switch key {
	case "kind":
		switch k := Kind(value); k {
		case Schema, Data, Feature:
			m.Kind = k
		default:
			return fmt.Sprintf("herd:kind %q: want schema, data or feature", value)
		}
	case "no-transaction":
		if value != "" {
			return fmt.Sprintf("herd:no-transaction takes no value, got %q", value)
		}
		m.NoTransaction = true
	case "depends":
		deps := strings.Fields(value)
		if len(deps) == 0 {
			return "herd:depends needs a migration id, e.g. v1.0.0/002_create_classes"
		}
		for _, d := range deps {
			if _, _, _, err := ParseID(d); err != nil {
				return fmt.Sprintf("herd:depends: %v", err)
			}
			m.Depends = append(m.Depends, canonicalID(d))
		}
	case "allow":
		named := allowNames(value)
		if len(named) == 0 {
			return fmt.Sprintf("herd:allow needs a rule name (%s)", strings.Join(rules, ", "))
		}
		for _, r := range named {
			if !slices.Contains(rules, r) {
				return unknownRule(r, rules)
			}
			m.Allow = append(m.Allow, r)
		}
	case "chunked":
		if m.Chunk != nil {
			return "herd:chunked given twice"
		}
		c, msg := parseChunk(value)
		if msg != "" {
			return msg
		}
		m.Chunk = c
	default:
		return fmt.Sprintf("unknown metadata key herd:%s (want kind, no-transaction, depends, allow or chunked)", key)
	}
	return ""
}

// allowNames returns the rules a herd:allow value names: the words before
// a colon, after which the author may say why ("pg-check: empty table").
func allowNames(value string) []string {
	names, _, _ := strings.Cut(value, ":")
	return strings.Fields(names)
}

func unknownRule(r string, rules []string) string {
	return fmt.Sprintf("herd:allow: unknown rule %q (want %s)", r, strings.Join(rules, ", "))
}

// StatementAllows returns the rules that the herd:allow comments among a
// statement's comments (sqlsplit.Statement.Comments: "-- herd:allow
// pg-create-index" on the line before it, or after it on its line) name,
// and a problem message for each name not among rules.
func StatementAllows(comments []string, rules []string) (allow, problems []string) {
	for _, c := range comments {
		text := strings.TrimSpace(strings.TrimPrefix(strings.TrimSuffix(c, "*/"), "/*"))
		text = strings.TrimSpace(strings.TrimLeft(text, "-#"))
		value, ok := strings.CutPrefix(text, "herd:allow")
		if !ok || value != "" && value[0] != ' ' && value[0] != '\t' {
			continue
		}
		for _, r := range allowNames(value) {
			if !slices.Contains(rules, r) {
				problems = append(problems, unknownRule(r, rules))
				continue
			}
			allow = append(allow, r)
		}
	}
	return allow, problems
}
