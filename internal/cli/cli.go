package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/event"
)

// Env is what a run of the CLI gets from its process.
type Env struct {
	Args           []string
	Stdout, Stderr io.Writer
	// Getenv reads the environment; default os.Getenv.
	Getenv func(string) string
	// Dialects are the engines wired in by main.
	Dialects []herd.Dialect
	// Version is herd's version as stamped at build time; empty reads it
	// from the binary's build info (see herd.Build).
	Version string
	// Signals, if set, delivers the process's interrupts (see
	// Interrupts). The first stops a running rollout runner, or migrate
	// --all, gracefully (see herd.WithStop): it starts no new tenant and
	// those in flight finish. Any other command, and any later signal,
	// cancels the run.
	Signals <-chan os.Signal
	// Hooks, if set, receives every event of a run (the steps of each
	// migration, and the rollout and tenant events) synchronously, before
	// the run goes on, so that a test can inject a fault at an exact point
	// of the protocol: kill the process once a tenant's migration
	// committed, or drop its connection before the lock is released. main
	// leaves it nil.
	Hooks event.Sink
}

// app is one run's state, shared by its commands.
type app struct {
	env        Env
	configPath string
	envName    string
	out        io.Writer
	secrets    *redactor
	interrupts *interrupts
}

// Run runs herd with env and returns the process exit code.
func Run(ctx context.Context, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	red := &redactor{}
	env.Stdout, env.Stderr = red.wrap(env.Stdout), red.wrap(env.Stderr)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a := &app{env: env, out: env.Stdout, secrets: red, interrupts: &interrupts{cancel: cancel, stderr: env.Stderr}}
	if env.Signals != nil {
		done := make(chan struct{})
		defer close(done)
		go a.interrupts.watch(env.Signals, done)
	}
	root := a.root()
	root.SetArgs(env.Args)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	err := unknownCommand(root, env.Args)
	if err == nil {
		err = root.ExecuteContext(ctx)
	}
	if err == nil {
		return ExitOK
	}
	writeError(env.Stderr, err)
	return exitCode(err)
}

// usageError is a command line that does not parse.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{msg: fmt.Sprintf(format, args...)} }

func (a *app) root() *cobra.Command {
	root := &cobra.Command{
		Use:           "herd",
		Short:         "Version and migrate the schemas of a fleet of tenant databases",
		Long:          "Version and migrate the schemas of a fleet of tenant databases.\n\n" + exitCodes,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&a.configPath, "config", "", "herd.yaml to use (default $HERD_CONFIG, else ./herd.yaml)")
	root.PersistentFlags().StringVar(&a.envName, "env", "", "environment of herd.yaml whose control database to use (default $HERD_ENV, else the top-level control)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usagef("%v", err) })
	if info, err := herd.Build(a.env.Version, a.env.Dialects); err == nil {
		// --version prints what herd version prints; when the build
		// cannot be described, herd version says why.
		var text strings.Builder
		renderBuild(&text, info)
		root.Version = info.Version
		root.SetVersionTemplate(text.String())
	}
	root.AddCommand(a.initCmd(), a.newCmd(), a.lintCmd(), a.tenantCmd(), a.migrateCmd(), a.planCmd(),
		a.statusCmd(), a.analyzeCmd(), a.driftCmd(), a.repairCmd(), a.baselineCmd(), a.rolloutCmd(), a.rollbackCmd(), a.cleanupCmd(), a.snapshotCmd(), a.flagsCmd(), a.serveCmd(), a.benchCmd(), a.demoCmd(), a.releasesCmd(), a.reportCmd(), a.calendarCmd(), a.versionCmd())
	for _, c := range root.Commands() {
		wrapArgs(c)
	}
	return root
}

// wrapArgs makes argument-count errors usage errors, recursively.
func wrapArgs(c *cobra.Command) {
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return usagef("%s: %v", strings.TrimPrefix(cmd.CommandPath(), "herd "), err)
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		wrapArgs(sub)
	}
}

// configFile is the configuration's path: --config, $HERD_CONFIG or
// ./herd.yaml.
func (a *app) configFile() string {
	path := a.configPath
	if path == "" {
		path = a.env.Getenv("HERD_CONFIG")
	}
	if path == "" {
		path = "herd.yaml"
	}
	return path
}

// loadConfig reads the configuration named by --config, $HERD_CONFIG or
// ./herd.yaml, registers its passwords with the output redactor and,
// with --env or $HERD_ENV, returns that environment's view of it.
func (a *app) loadConfig() (*config.Config, error) {
	cfg, err := config.Load(a.configFile())
	if err != nil {
		return nil, &herd.InputError{Err: err}
	}
	a.secrets.add(cfg.Control)
	for _, s := range cfg.Servers {
		a.secrets.add(s.DSN)
	}
	for _, e := range cfg.Environments {
		a.secrets.add(e.Control)
	}
	env := a.envName
	if env == "" {
		env = a.env.Getenv("HERD_ENV")
	}
	if env == "" {
		return cfg, nil
	}
	view, err := cfg.InEnvironment(env)
	if err != nil {
		return nil, &herd.InputError{Err: err}
	}
	return view, nil
}

// withFleet opens the fleet named by the configuration for one command,
// runs fn on it and closes it. The run's events go to Env.Hooks besides
// opts.Events.
func (a *app) withFleet(ctx context.Context, opts herd.Options, fn func(*herd.Fleet) error) error {
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	if opts.Logger == nil {
		// Warnings: failures herd rode out, or that cannot change an
		// outcome (a lock released by a dying connection).
		opts.Logger = slog.New(slog.NewTextHandler(a.env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if a.env.Hooks != nil {
		opts.Events = event.Fanout{opts.Events, a.env.Hooks}
	}
	f, err := herd.Open(ctx, cfg, a.env.Dialects, opts)
	if err != nil {
		return err
	}
	defer f.Close()
	return fn(f)
}

// redactor scrubs the passwords of the configuration's DSNs from
// everything herd prints, as a last line of defence behind the redaction
// each package does.
type redactor struct{ secrets []string }

func (r *redactor) add(dsn string) {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return
	}
	if pw, ok := u.User.Password(); ok && pw != "" {
		r.secrets = append(r.secrets, pw, url.QueryEscape(pw), url.PathEscape(pw))
	}
}

func (r *redactor) wrap(w io.Writer) io.Writer {
	if w == nil {
		w = io.Discard
	}
	return redactingWriter{r, w}
}

type redactingWriter struct {
	r *redactor
	w io.Writer
}

func (rw redactingWriter) Write(p []byte) (int, error) {
	s := string(p)
	for _, secret := range rw.r.secrets {
		s = strings.ReplaceAll(s, secret, "xxxxx")
	}
	if _, err := io.WriteString(rw.w, s); err != nil {
		return 0, err
	}
	return len(p), nil
}
