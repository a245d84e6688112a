package cli

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite docs/cli from the commands (TestCLIReference)")

// referenceDir is the committed CLI reference, relative to this package.
const referenceDir = "../../docs/cli"

// regenerate is the command that brings docs/cli up to date.
const regenerate = "go test ./internal/cli -run TestCLIReference -update"

// TestCLIReference checks that docs/cli holds exactly the pages
// WriteReference generates from the commands, byte for byte; with -update
// it rewrites them (keeping docs/cli/README.md, which is written by hand).
func TestCLIReference(t *testing.T) {
	got := t.TempDir()
	require.NoError(t, WriteReference(got))
	generated := pages(t, got)
	require.NotEmpty(t, generated)

	if *update {
		for _, name := range pages(t, referenceDir) {
			require.NoError(t, os.Remove(filepath.Join(referenceDir, name)))
		}
		for _, name := range generated {
			data, err := os.ReadFile(filepath.Join(got, name))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(referenceDir, name), data, 0o644))
		}
	}

	committed := pages(t, referenceDir)
	for _, name := range generated {
		if !slices.Contains(committed, name) {
			t.Errorf("docs/cli/%s is missing; run %s", name, regenerate)
			continue
		}
		want, err := os.ReadFile(filepath.Join(referenceDir, name))
		require.NoError(t, err)
		have, err := os.ReadFile(filepath.Join(got, name))
		require.NoError(t, err)
		if string(want) != string(have) {
			t.Errorf("docs/cli/%s is out of date; run %s", name, regenerate)
		}
	}
	for _, name := range committed {
		if !slices.Contains(generated, name) {
			t.Errorf("docs/cli/%s documents no command; run %s", name, regenerate)
		}
	}
}

// pages lists the generated pages in dir: every .md file but README.md.
func pages(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		if !e.IsDir() && filepath.Ext(e.Name()) == ".md" && e.Name() != "README.md" {
			out = append(out, e.Name())
		}
	}
	return out
}
