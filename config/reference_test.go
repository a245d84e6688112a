package config

import (
	"bufio"
	"go/ast"
	goparser "go/parser"
	"go/token"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// referenceDoc is the herd.yaml reference, relative to this package.
const referenceDoc = "../docs/configuration.md"

// fieldsCall is one p.fields call of the parser: the keys a mapping
// accepts, and the documented path of that mapping.
type fieldsCall struct {
	pos   string
	where string
	keys  []string
}

// keyLists are the identifiers the parser passes as key lists, resolved.
// A new one must be added here, or TestReferenceDocumentsEveryKey fails.
var keyLists = map[string][]string{
	"CustomisationObjects": CustomisationObjects,
}

// wherePrefixes are the documented paths of the mappings that parser
// functions read with a where computed at run time (a name, an index),
// by function. A new such function must be added here, or
// TestReferenceDocumentsEveryKey fails.
var wherePrefixes = map[string]string{
	"servers":            "servers.<name>",
	"throttle":           "servers.<name>.throttle",
	"release":            "releases.<version>",
	"waves":              "rollout.waves[]",
	"retention":          "rollout.snapshots.retain",
	"sqlProbes":          "health_probes.sql[]",
	"window":             "maintenance_windows.<scope>",
	"webhooks":           "webhooks[]",
	"flag":               "flags.<flag>",
	"environment":        "environments.<env>",
	"customisationRules": "customisations.<scope>[]",
}

// parserFieldsCalls reads the config package's Go files (tests left out)
// and returns every p.fields call in them.
func parserFieldsCalls(t *testing.T) []fieldsCall {
	t.Helper()
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	require.NoError(t, err)
	var calls []fieldsCall
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := goparser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		for _, decl := range file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			calls = append(calls, fieldsCalls(t, fset, fn)...)
		}
	}
	return calls
}

// fieldsCalls returns the p.fields calls in the body of fn.
func fieldsCalls(t *testing.T, fset *token.FileSet, fn *ast.FuncDecl) []fieldsCall {
	t.Helper()
	var calls []fieldsCall
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || sel.Sel.Name != "fields" || len(call.Args) < 3 {
			return true
		}
		c := fieldsCall{pos: fset.Position(call.Pos()).String()}
		if lit, ok := call.Args[1].(*ast.BasicLit); ok && lit.Kind == token.STRING {
			c.where = unquote(t, c.pos, lit)
		} else if c.where, ok = wherePrefixes[fn.Name.Name]; !ok {
			t.Fatalf("%s: %s reads a mapping whose path this test does not know: add its documented path to wherePrefixes", c.pos, fn.Name.Name)
		}
		for _, arg := range call.Args[2:] {
			switch a := arg.(type) {
			case *ast.BasicLit:
				require.Equal(t, token.STRING, a.Kind, "%s: a key that is not a string", c.pos)
				c.keys = append(c.keys, unquote(t, c.pos, a))
			case *ast.Ident:
				list, ok := keyLists[a.Name]
				if !ok {
					t.Fatalf("%s: p.fields is given the key list %s, which this test does not know: add it to keyLists", c.pos, a.Name)
				}
				c.keys = append(c.keys, list...)
			default:
				t.Fatalf("%s: p.fields is given a key this test cannot read (%T): use a string literal or a package-level list in keyLists", c.pos, arg)
			}
		}
		calls = append(calls, c)
		return true
	})
	return calls
}

func unquote(t *testing.T, pos string, lit *ast.BasicLit) string {
	t.Helper()
	s, err := strconv.Unquote(lit.Value)
	require.NoError(t, err, pos)
	return s
}

// documentedPaths returns the key paths of the reference: the code span
// that opens the first cell of each table row.
func documentedPaths(t *testing.T, doc string) []string {
	t.Helper()
	row := regexp.MustCompile("^\\| `([^`]+)` \\|")
	var out []string
	sc := bufio.NewScanner(strings.NewReader(doc))
	for sc.Scan() {
		if m := row.FindStringSubmatch(sc.Text()); m != nil {
			out = append(out, m[1])
		}
	}
	require.NoError(t, sc.Err())
	return out
}

// lastSegment is a path's last key: "name" of "rollout.waves[].name".
func lastSegment(path string) string {
	return path[strings.LastIndex(path, ".")+1:]
}

// TestReferenceDocumentsEveryKey checks docs/configuration.md against the
// parser: every key a p.fields call accepts is documented at its full
// path (the call's where, or its function's entry in wherePrefixes, then
// the key), and every documented path ends in a key the parser accepts or
// a placeholder.
func TestReferenceDocumentsEveryKey(t *testing.T) {
	data, err := os.ReadFile(referenceDoc)
	require.NoError(t, err)
	paths := documentedPaths(t, string(data))
	require.NotEmpty(t, paths, "%s has no table rows", referenceDoc)
	documented := map[string]bool{}
	for _, p := range paths {
		documented[p] = true
	}

	calls := parserFieldsCalls(t)
	require.NotEmpty(t, calls, "found no p.fields calls in the config package")
	accepted := map[string]bool{}
	for _, c := range calls {
		for _, key := range c.keys {
			accepted[key] = true
			path := key
			if c.where != "" {
				path = c.where + "." + key
			}
			if !documented[path] {
				t.Errorf("%s: herd.yaml key %s is not documented in docs/configuration.md (want a table row starting | `%s` |)", c.pos, path, path)
			}
		}
	}
	for _, p := range paths {
		last := lastSegment(p)
		if !strings.HasPrefix(last, "<") && !accepted[last] {
			t.Errorf("docs/configuration.md documents %s, but herd.yaml has no key %q", p, last)
		}
	}
}

// TestReferenceExampleParses checks that the complete example that ends
// docs/configuration.md is a valid herd.yaml.
func TestReferenceExampleParses(t *testing.T) {
	data, err := os.ReadFile(referenceDoc)
	require.NoError(t, err)
	doc := string(data)
	const heading = "\n## A complete example\n"
	i := strings.Index(doc, heading)
	require.GreaterOrEqual(t, i, 0, "%s has no %q section", referenceDoc, strings.TrimSpace(heading))
	rest := doc[i:]
	start := strings.Index(rest, "```yaml\n")
	require.GreaterOrEqual(t, start, 0, "the complete example has no yaml block")
	body := rest[start+len("```yaml\n"):]
	end := strings.Index(body, "```")
	require.Greater(t, end, 0, "the complete example's yaml block is not closed")

	env := map[string]string{"PGPASSWORD": "pw", "MYSQL_PASSWORD": "pw", "HERD_WEBHOOK_SECRET": "s"}
	cfg, err := ParseEnv([]byte(body[:end]), "herd.yaml", env)
	require.NoError(t, err)
	require.Len(t, cfg.Environments, 2)
	require.NotEmpty(t, cfg.Rollout.Waves)
	require.NotEmpty(t, cfg.Webhooks)
}
