package release

import (
	"fmt"
	"strings"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/internal/sqlsplit"
	"github.com/herdhq/herd/source"
)

// lintEscapes reports the statements of tenant migrations (up, down and
// validate files) that would move a tenant's objects out of its database
// or schema, unless the file or the statement allows the rule with a
// herd:allow comment.
func lintEscapes(src *source.Source, cfg *config.Config, add func(source.Problem)) {
	schemaEngines := schemaEngines(cfg)
	rules := src.AllowRules()
	for _, mig := range src.Migrations(source.Tenant) {
		if mig.Go != nil {
			continue
		}
		var files []script
		for _, get := range []func(string) (source.Script, bool){mig.Up, mig.Down, mig.Validate} {
			files = append(files, scripts(get, src.Engines())...)
		}
		for _, s := range files {
			meta, _ := source.ParseMeta(s.SQL, rules) // an up file's problems are source.Load's to report
			for _, e := range s.engines {
				stmts, err := e.Split(s.SQL)
				if err != nil {
					continue
				}
				for _, st := range stmts {
					toks, err := e.Tokens(st.SQL)
					if err != nil {
						continue
					}
					rule, what := escape(toks, schemaEngines[e.Name()])
					if rule == "" || allows(meta, st, rules, rule) {
						continue
					}
					add(source.Problem{File: s.File, Line: st.Line, Msg: fmt.Sprintf(
						"%s in tenant migration %s: %s; write -- herd:allow %s at the top of the file if it is meant",
						what, mig.ID(), escapeWhy[rule], rule)})
				}
			}
		}
	}
}

// escapeWhy says, per rule, why a tenant migration may not break it.
var escapeWhy = map[string]string{
	source.AllowSwitchDatabase: "the tenant's objects would land in another database or schema, " +
		"and herd would record the migration as applied to the tenant (herd migrate stops such a migration before it records it)",
	source.AllowCreateDatabase: "a tenant migration runs once per tenant, inside the tenant's database or schema; " +
		"databases and schemas are herd's to create (herd tenant add)",
	source.AllowDropDatabase: "a tenant migration runs once per tenant, inside the tenant's database or schema; " +
		"databases and schemas are herd's to drop (herd tenant remove)",
	source.AllowAttachDatabase: "objects qualified with the attached database's name would land in another file, " +
		"outside the tenant's database, its snapshots and its ledger",
	source.AllowOutsideSchema: "on a server with one PostgreSQL schema per tenant, schema public is shared by every tenant: " +
		"the first tenant's run would create it there and the next would fail or change it; leave the name unqualified",
}

// schemaEngines returns the names of the engines of cfg's servers that
// keep one schema per tenant (PostgreSQL's, the one engine that can), on
// which schema public is shared by every tenant of the server.
func schemaEngines(cfg *config.Config) map[string]bool {
	out := map[string]bool{}
	if cfg == nil {
		return out
	}
	for _, s := range cfg.Servers {
		if s.Tenancy == "schema" {
			out[config.Engine(s.DSN)] = true
		}
	}
	return out
}

// escape returns the rule a statement breaks and what it does, or "", by
// its tokens: USE; SET [SESSION|LOCAL] search_path or schema; a call of
// set_config('search_path', …) anywhere in it; CREATE or DROP DATABASE or
// SCHEMA; ATTACH or DETACH; and, when publicShared, a CREATE that names
// its object (or, for an index or trigger, its table) in schema public.
func escape(toks []sqlsplit.Token, publicShared bool) (rule, what string) {
	word := func(i int) string {
		if i < len(toks) {
			return toks[i].Word
		}
		return ""
	}
	for i, t := range toks {
		if t.Word == "SET_CONFIG" && i+2 < len(toks) && toks[i+1].Punct == '(' && strings.EqualFold(unquote(toks[i+2]), "search_path") {
			return source.AllowSwitchDatabase, "set_config('search_path', …)"
		}
	}
	switch word(0) {
	case "USE":
		return source.AllowSwitchDatabase, "USE"
	case "SET":
		i := 1
		if w := word(i); w == "SESSION" || w == "LOCAL" {
			i++
		}
		if w := word(i); w == "SEARCH_PATH" || w == "SCHEMA" {
			return source.AllowSwitchDatabase, "SET " + strings.ToLower(w)
		}
	case "CREATE", "DROP":
		if w := word(1); w == "DATABASE" || w == "SCHEMA" {
			if word(0) == "DROP" {
				return source.AllowDropDatabase, "DROP " + w
			}
			return source.AllowCreateDatabase, "CREATE " + w
		}
		if word(0) == "CREATE" && publicShared && namesPublic(toks) {
			return source.AllowOutsideSchema, "CREATE of an object in schema public"
		}
	case "ATTACH", "DETACH":
		return source.AllowAttachDatabase, word(0)
	}
	return "", ""
}

// namesPublic reports whether a CREATE statement qualifies a name with
// schema public before its first parenthesis or AS: the object's own name,
// or the table an index, trigger or rule goes on.
func namesPublic(toks []sqlsplit.Token) bool {
	for i, t := range toks {
		if t.Punct == '(' || t.Word == "AS" {
			return false
		}
		if i+1 < len(toks) && toks[i+1].Punct == '.' && (t.Word == "PUBLIC" || t.Quoted && unquote(t) == "public") {
			return true
		}
	}
	return false
}

// unquote returns a quoted token's text without its quotes, with doubled
// quotes undone; "" for an unquoted token.
func unquote(t sqlsplit.Token) string {
	if !t.Quoted || len(t.Text) < 2 {
		return ""
	}
	q := t.Text[:1]
	if q != "'" && q != `"` && q != "`" {
		return ""
	}
	return strings.ReplaceAll(t.Text[1:len(t.Text)-1], q+q, q)
}
