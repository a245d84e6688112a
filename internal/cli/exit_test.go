package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"
)

func TestErrorLines(t *testing.T) {
	t.Parallel()
	pgx := errors.New("failed to connect to `user=postgres database=postgres`:\n" +
		"\t127.0.0.1:1 (127.0.0.1): dial error: connection refused\n" +
		"\t127.0.0.1:1 (127.0.0.1): dial error: connection refused")
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{name: "one line", err: errors.New("tenant \"x\": tenant not found"), want: []string{`tenant "x": tenant not found`}},
		{name: "driver's indented lines join the first, once", err: fmt.Errorf("control database: %w", pgx),
			want: []string{"control database: failed to connect to `user=postgres database=postgres`: 127.0.0.1:1 (127.0.0.1): dial error: connection refused"}},
		{name: "indented detail after a sentence", err: errors.New("statement failed\n  DETAIL: key exists"),
			want: []string{"statement failed; DETAIL: key exists"}},
		{name: "joined errors, one line each", err: errors.Join(errors.New("migrate tenant \"a\": boom"), errors.New("migrate tenant \"b\": bang")),
			want: []string{`migrate tenant "a": boom`, `migrate tenant "b": bang`}},
		{name: "a prefix herd adds is not repeated", err: errors.New("herd: webhooks: closed"), want: []string{"webhooks: closed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, errorLines(tt.err))
		})
	}
}

// Every command, group or not, exits 2 on an unknown flag, and every
// group on an unknown subcommand, with one error line that does not
// repeat herd's prefix.
func TestUnknownCommandsAndFlagsExit2(t *testing.T) {
	t.Parallel()
	a := &app{env: Env{Getenv: func(string) string { return "" }}}
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, sub := range c.Commands() {
			walk(sub, append(slices.Clone(path), sub.Name()))
		}
	}
	walk(a.root(), nil)
	require.Greater(t, len(paths), 25, "the walk found too few commands")

	run := func(args ...string) (int, string) {
		var out bytes.Buffer
		code := Run(context.Background(), Env{Args: args, Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }})
		return code, out.String()
	}
	for _, path := range paths {
		if slices.Contains(path, "help") || slices.Contains(path, "completion") {
			continue
		}
		code, out := run(append(slices.Clone(path), "--no-such-flag")...)
		require.Equal(t, ExitInput, code, "%v --no-such-flag: %s", path, out)
		require.Equal(t, "herd: unknown flag: --no-such-flag\n", out, "%v", path)
	}
	for _, args := range [][]string{{"no-such-command"}, {"rollout", "no-such-command"}, {"tenant", "no-such-command"},
		{"flags", "no-such-command"}, {"status", "extra"}, {"rollout", "status", "1", "2"}, {"rollout", "pause", "x"}} {
		code, out := run(args...)
		require.Equal(t, ExitInput, code, "%v: %s", args, out)
		require.Equal(t, 1, strings.Count(out, "herd: "), "%v: %s", args, out)
		require.NotContains(t, out, "herd: herd", "%v", args)
	}
}

func TestHelpListsExitCodes(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.Equal(t, ExitOK, Run(context.Background(), Env{Args: []string{"--help"}, Stdout: &out, Stderr: &out}))
	for _, want := range []string{"Exit codes", "0  done", "1  a tenant", "2  bad input", "3  waiting"} {
		require.Contains(t, out.String(), want)
	}
}

func TestWriteErrorPrefixesTheFirstLine(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	writeError(&out, fmt.Errorf("2 problems:\n%w", errors.Join(errors.New("herd.yaml:3: bad"), errors.New("herd.yaml:7: worse"))))
	require.Equal(t, "herd: 2 problems:\nherd.yaml:3: bad\nherd.yaml:7: worse\n", out.String())
}
