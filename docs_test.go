package herd_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"
)

// markdownLink matches an inline link or image, [text](target), whose text
// may run over several lines; the target is the first group.
var markdownLink = regexp.MustCompile(`\[[^\]]*\]\(([^)\s]+)\)`)

// markdownHeading matches an ATX heading; its text is the first group.
var markdownHeading = regexp.MustCompile(`^#{1,6}\s+(.+?)\s*#*\s*$`)

// inlineLink matches a link inside a heading, whose text the anchor keeps.
var inlineLink = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)

// withoutCode returns a Markdown file's lines outside fenced code blocks.
func withoutCode(text string) []string {
	var out []string
	fence := ""
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case fence != "":
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
			continue
		case strings.HasPrefix(trimmed, "```"), strings.HasPrefix(trimmed, "~~~"):
			fence = trimmed[:3]
			continue
		}
		out = append(out, line)
	}
	return out
}

// anchorOf is GitHub's anchor for a heading's text: its rendered text in
// lower case, every character but letters, digits, spaces, hyphens and
// underscores dropped, spaces made hyphens.
func anchorOf(heading string) string {
	text := inlineLink.ReplaceAllString(heading, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-', r == '_', unicode.IsLetter(r), unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// anchors returns every heading anchor of a Markdown file, numbering
// repeated ones as GitHub does (x, x-1, x-2).
func anchors(text string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	for _, line := range withoutCode(text) {
		m := markdownHeading.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		a := anchorOf(m[1])
		if n := seen[a]; n > 0 {
			out[fmt.Sprintf("%s-%d", a, n)] = true
		} else {
			out[a] = true
		}
		seen[a]++
	}
	return out
}

// markdownFiles returns README.md and every Markdown file under docs/.
func markdownFiles(t *testing.T) []string {
	t.Helper()
	files := []string{"README.md"}
	err := filepath.WalkDir("docs", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".md") {
			files = append(files, path)
		}
		return err
	})
	require.NoError(t, err)
	return files
}

// TestDocsLinks checks every relative link of README.md and docs/: its
// file exists and, for a #fragment into a Markdown file, that file has a
// heading with that anchor.
func TestDocsLinks(t *testing.T) {
	t.Parallel()
	files := markdownFiles(t)
	require.Greater(t, len(files), 1, "no Markdown files under docs/")
	texts := map[string]string{}
	read := func(path string) (string, error) {
		if text, ok := texts[path]; ok {
			return text, nil
		}
		data, err := os.ReadFile(path)
		texts[path] = string(data)
		return string(data), err
	}
	for _, file := range files {
		text, err := read(file)
		require.NoError(t, err)
		body := strings.Join(withoutCode(text), "\n")
		for _, m := range markdownLink.FindAllStringSubmatch(body, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, fragment, _ := strings.Cut(target, "#")
			dest := file
			if path != "" {
				dest = filepath.Join(filepath.Dir(file), filepath.FromSlash(path))
				if _, err := os.Stat(dest); err != nil {
					t.Errorf("%s: link %s: %s does not exist", file, target, dest)
					continue
				}
			}
			if fragment == "" || !strings.HasSuffix(dest, ".md") {
				continue
			}
			destText, err := read(dest)
			require.NoError(t, err)
			if !anchors(destText)[fragment] {
				t.Errorf("%s: link %s: %s has no heading with anchor #%s", file, target, dest, fragment)
			}
		}
	}
}

// TestAnchorOf pins the anchor rules the link check relies on.
func TestAnchorOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ heading, want string }{
		{"Lock timeouts: a migration never makes the application queue", "lock-timeouts-a-migration-never-makes-the-application-queue"},
		{"Which tenants may move: canMigrate", "which-tenants-may-move-canmigrate"},
		{"`herd bench`", "herd-bench"},
		{"rollout.snapshots and large_tenants", "rolloutsnapshots-and-large_tenants"},
		{"A [linked](x.md) heading", "a-linked-heading"},
		{"Drift and the pre-flight", "drift-and-the-pre-flight"},
	} {
		require.Equal(t, tc.want, anchorOf(tc.heading), tc.heading)
	}
	require.Equal(t, map[string]bool{"a": true, "a-1": true, "b": true},
		anchors("# A\n```\n# not a heading\n```\n## A\n### B\n"))
}

// TestDocsIndex checks that docs/README.md links to every page directly
// under docs/ and to the README.md of every folder under it.
func TestDocsIndex(t *testing.T) {
	t.Parallel()
	index, err := os.ReadFile(filepath.Join("docs", "README.md"))
	require.NoError(t, err)
	linked := map[string]bool{}
	for _, m := range markdownLink.FindAllStringSubmatch(strings.Join(withoutCode(string(index)), "\n"), -1) {
		path, _, _ := strings.Cut(m[1], "#")
		linked[path] = true
	}
	entries, err := os.ReadDir("docs")
	require.NoError(t, err)
	for _, e := range entries {
		page := e.Name()
		switch {
		case e.IsDir():
			page += "/README.md"
		case !strings.HasSuffix(page, ".md") || page == "README.md":
			continue
		}
		if !linked[page] {
			t.Errorf("docs/README.md does not link to %s: add it to the index", page)
		}
	}
}
