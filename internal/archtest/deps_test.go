package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// module is herd's module path; patterns without a domain are relative to
// it.
const module = "github.com/herdhq/herd"

// drivers are the database drivers herd links.
var drivers = []string{"github.com/jackc/pgx/...", "github.com/go-sql-driver/mysql/...", "modernc.org/sqlite/..."}

// engines are the dialect packages that wrap them.
var engines = []string{"dialect/sqlite/...", "dialect/postgres/...", "dialect/mysql/..."}

// rule forbids the packages matching from, except those matching except,
// to import a package matching forbid, or, when allow is set, any package
// of the module that allow does not match: directly, or through any chain
// of imports when deep is set. Patterns are import paths, relative to the
// module unless they start with a domain; a trailing /... also matches
// every package below. "." is the module's root package. Tests' imports
// are not counted.
type rule struct {
	name          string
	from, except  []string
	forbid, allow []string
	deep          bool
}

// wiring are the packages that choose the engines: the binary, and the
// helpers that give tests one of each.
var wiring = []string{"cmd/herd", "internal/herdtest"}

// rules are herd's dependency rules, one a line.
var rules = []rule{
	{name: "nothing outside dialect imports a database driver", from: []string{"..."}, except: []string{"dialect/..."}, forbid: drivers},
	{name: "only the wiring imports an engine", from: []string{"..."}, except: slices.Concat(wiring, engines), forbid: engines},
	{name: "only the dialects and the wiring link a driver", from: []string{"..."}, except: slices.Concat(wiring, []string{"dialect/..."}), forbid: drivers, deep: true},
	{name: "source, plan, release, flags and config know no dialect", from: []string{"source", "plan", "release", "flags", "config"}, forbid: []string{"dialect/..."}, deep: true},
	{name: "control stores fleet state and knows nothing of how migrations are planned or run", from: []string{"control/..."}, forbid: []string{"execute", "plan"}, deep: true},
	{name: "the router reads fleet state and runs nothing", from: []string{"router"}, forbid: []string{"execute", "plan", "schedule", "rollout"}, deep: true},
	{name: "the CLI goes through the front door", from: []string{"internal/cli"}, allow: frontDoor},
	{name: "the rooms below the front door do not call it", from: []string{"..."}, except: callers, forbid: []string{"."}},
	{name: "only the binary wires the CLI", from: []string{"..."}, except: []string{"cmd/herd"}, forbid: []string{"internal/cli"}},
}

// frontDoor is what the CLI may import of herd: the root package, config
// to load herd.yaml, and event, the vocabulary of the stream it renders
// (values only: it can run nothing); besides them the commands that are
// programs of their own: the benchmark, the OFREP server and the demo's
// example project; and report, which renders the front door's results.
var frontDoor = []string{".", "config", "event", "bench", "server", "examples/school-erp", "report"}

// callers are the packages that use the root package rather than serve it.
var callers = []string{".", "cmd/herd", "internal/cli", "internal/herdtest", "bench", "server", "report"}

// pkg is what go list says of one package.
type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func TestDependencyRules(t *testing.T) {
	t.Parallel()
	pkgs := listPackages(t)
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			require.Empty(t, r.violations(pkgs), "rule %q is broken", r.name)
		})
	}
}

// TestRuleCatchesViolations checks the checker itself on a made-up
// graph: a direct import, an import two steps away and an exception.
func TestRuleCatchesViolations(t *testing.T) {
	t.Parallel()
	pkgs := []pkg{
		{ImportPath: module + "/plan", Imports: []string{module + "/source"}, Deps: []string{module + "/dialect", module + "/source"}},
		{ImportPath: module + "/source", Imports: []string{module + "/dialect"}, Deps: []string{module + "/dialect"}},
		{ImportPath: module + "/dialect/sqlite", Imports: []string{"modernc.org/sqlite"}, Deps: []string{"modernc.org/sqlite", "modernc.org/sqlite/lib"}},
	}
	tests := []struct {
		name string
		rule rule
		want []string
	}{
		{"direct", rule{from: []string{"plan", "source"}, forbid: []string{"dialect/..."}},
			[]string{module + "/source imports " + module + "/dialect"}},
		{"deep", rule{from: []string{"plan", "source"}, forbid: []string{"dialect/..."}, deep: true},
			[]string{module + "/plan depends on " + module + "/dialect", module + "/source depends on " + module + "/dialect"}},
		{"excepted", rule{from: []string{"..."}, except: []string{"dialect/..."}, forbid: drivers}, nil},
		{"not excepted", rule{from: []string{"..."}, forbid: drivers},
			[]string{module + "/dialect/sqlite imports modernc.org/sqlite"}},
		{"allowed", rule{from: []string{"plan"}, allow: []string{"source"}}, nil},
		{"not allowed", rule{from: []string{"source"}, allow: []string{"plan"}},
			[]string{module + "/source imports " + module + "/dialect"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, tt.rule.violations(pkgs))
		})
	}
}

// violations returns "A imports B" (or, for a deep rule, "A depends on
// B") for each package A the rule covers and each forbidden B it reaches.
func (r rule) violations(pkgs []pkg) []string {
	verb := " imports "
	if r.deep {
		verb = " depends on "
	}
	var out []string
	for _, p := range pkgs {
		if !matchAny(r.from, p.ImportPath) || matchAny(r.except, p.ImportPath) {
			continue
		}
		imports := p.Imports
		if r.deep {
			imports = p.Deps
		}
		for _, imp := range imports {
			if matchAny(r.forbid, imp) || len(r.allow) > 0 && match("...", imp) && !matchAny(r.allow, imp) {
				out = append(out, p.ImportPath+verb+imp)
			}
		}
	}
	return out
}

// matchAny reports whether path matches one of patterns.
func matchAny(patterns []string, path string) bool {
	return slices.ContainsFunc(patterns, func(pattern string) bool { return match(pattern, path) })
}

// match reports whether the import path matches pattern (see rule).
func match(pattern, path string) bool {
	switch first, _, _ := strings.Cut(pattern, "/"); {
	case pattern == ".":
		pattern = module
	case pattern == "...":
		pattern = module + "/..."
	case !strings.Contains(first, "."):
		pattern = module + "/" + pattern
	}
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return path == base || strings.HasPrefix(path, base+"/")
	}
	return path == pattern
}

// listPackages returns every package of the module, as go list sees it
// without tests.
func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", module+"/...")
	out, err := cmd.Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		err = fmt.Errorf("%w: %s", err, exit.Stderr)
	}
	require.NoError(t, err, "go list")
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p pkg
		require.NoError(t, dec.Decode(&p), "decode go list")
		pkgs = append(pkgs, p)
	}
	require.NotEmpty(t, pkgs)
	return pkgs
}
