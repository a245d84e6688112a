package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra/doc"
)

// WriteReference writes the command line's reference into dir, which must
// exist: one Markdown page per command (herd.md, herd_rollout_start.md, …),
// generated from the commands' own usage, flags and help text. The pages
// hold no date, path or build detail, so the same commands always give the
// same bytes; docs/cli is written by it (see TestCLIReference). It fails
// when a page cannot be written.
func WriteReference(dir string) error {
	a := &app{env: Env{Getenv: func(string) string { return "" }}, out: io.Discard, secrets: &redactor{}}
	root := a.root()
	root.DisableAutoGenTag = true
	if err := doc.GenMarkdownTree(root, dir); err != nil {
		return fmt.Errorf("write the CLI reference into %s: %w", dir, err)
	}
	return nil
}
