package dumptool

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
)

// Command is one run of a program.
type Command struct {
	// Tools are the program's names, in order of preference
	// ("mariadb-dump", "mysqldump"); the first found on PATH runs.
	Tools []string
	// Package names the OS package that provides the program, for the
	// error when none is found.
	Package string
	Args    []string
	// Env is added to the environment, after the variables whose names
	// start with one of Strip are removed from it (so that a PGSERVICE or
	// MYSQL_HOST of the caller's shell cannot redirect the program).
	Env   []string
	Strip []string
}

// path finds the program.
func (c Command) path() (string, error) {
	for _, t := range c.Tools {
		if p, err := exec.LookPath(t); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found on PATH: install %s (herd's snapshots on this engine run it)", strings.Join(c.Tools, " or "), c.Package)
}

func (c Command) name() string { return c.Tools[0] }

// cmd prepares the program with its environment, stdin and a bounded
// capture of stderr.
func (c Command) cmd(ctx context.Context, stdin io.Reader, stdout io.Writer) (*exec.Cmd, *tail, error) {
	p, err := c.path()
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.CommandContext(ctx, p, c.Args...)
	env := make([]string, 0, len(os.Environ())+len(c.Env))
	for _, kv := range os.Environ() {
		if !hasAnyPrefix(kv, c.Strip) {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, c.Env...)
	cmd.Stdin = stdin
	cmd.Stdout = stdout
	errs := &tail{}
	cmd.Stderr = errs
	return cmd, errs, nil
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// Run runs c with stdin (nil: none) and returns what it wrote to stdout.
func Run(ctx context.Context, c Command, stdin io.Reader) ([]byte, error) {
	var out bytes.Buffer
	cmd, errs, err := c.cmd(ctx, stdin, &out)
	if err != nil {
		return nil, err
	}
	if err := cmd.Run(); err != nil {
		return nil, failure(ctx, c.name(), err, errs)
	}
	return out.Bytes(), nil
}

// RunTo runs c with stdin (nil: none), its output going to stdout.
func RunTo(ctx context.Context, c Command, stdin io.Reader, stdout io.Writer) error {
	cmd, errs, err := c.cmd(ctx, stdin, stdout)
	if err != nil {
		return err
	}
	if err := cmd.Run(); err != nil {
		return failure(ctx, c.name(), err, errs)
	}
	return nil
}

// Pipe runs dump and load at once, dump's output streamed into load's
// input after prelude, and waits for both. When either fails, the other
// is stopped (so a load never ends on a partial dump), and the error is
// that of the one that failed first.
func Pipe(ctx context.Context, dump Command, prelude string, load Command) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		once  sync.Once
		first error
	)
	fail := func(err error) {
		once.Do(func() { first = err; cancel() })
	}
	r, w := io.Pipe()
	dumpCmd, dumpErrs, err := dump.cmd(ctx, nil, w)
	if err != nil {
		return err
	}
	loadCmd, loadErrs, err := load.cmd(ctx, io.MultiReader(strings.NewReader(prelude), r), nil)
	if err != nil {
		return err
	}
	if err := dumpCmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", dump.name(), err)
	}
	dumped := make(chan struct{})
	go func() {
		defer close(dumped)
		err := dumpCmd.Wait()
		if err != nil {
			fail(failure(ctx, dump.name(), err, dumpErrs))
		}
		_ = w.CloseWithError(err) // nil: the load reads EOF
	}()
	if err := loadCmd.Run(); err != nil {
		fail(failure(ctx, load.name(), err, loadErrs))
		_ = r.CloseWithError(err)
	}
	<-dumped
	return first
}

// failure wraps a program's exit with the end of its stderr.
func failure(ctx context.Context, name string, err error, errs *tail) error {
	if msg := strings.TrimSpace(errs.String()); msg != "" {
		return fmt.Errorf("%s: %w: %s", name, err, msg)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", name, context.Cause(ctx))
	}
	return fmt.Errorf("%s: %w", name, err)
}

// tailSize bounds how much of a program's stderr an error quotes.
const tailSize = 2048

// tail keeps the last tailSize bytes written to it.
type tail struct{ b []byte }

func (t *tail) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > tailSize {
		t.b = append(t.b[:0], t.b[len(t.b)-tailSize:]...)
	}
	return len(p), nil
}

func (t *tail) String() string { return string(t.b) }
