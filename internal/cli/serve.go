package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/server"
)

// The environment variables holding the tokens herd serve accepts,
// comma-separated, each name:secret (or, for viewers, a bare secret).
const (
	viewerTokensEnv   = "HERD_VIEWER_TOKENS"
	operatorTokensEnv = "HERD_OPERATOR_TOKENS"
)

// shutdownGrace is how long herd serve lets requests in flight finish
// once it is told to stop.
const shutdownGrace = 10 * time.Second

// rollbackGrace is how long herd serve then waits for the tenant each
// emergency rollback started from the console has in flight.
const rollbackGrace = time.Minute

func (a *app) serveCmd() *cobra.Command {
	var (
		addr    string
		refresh time.Duration
	)
	cmd := &cobra.Command{
		Use:   "serve [--addr 127.0.0.1:8080]",
		Short: "Serve the console (dashboard), feature-flag evaluation (OFREP), the read-only JSON API and Prometheus metrics over HTTP",
		Long: `serve answers, on --addr:

  GET  /                                    the console: the fleet at a glance
  GET  /tenants, /tenants/{code}            tenants (filters), one tenant
  GET  /rollouts, /rollouts/{id}            rollouts, one rollout live
  GET  /rollouts/{id}/events                its live progress (server-sent events)
  GET  /rollouts/{id}/actions/{action}      confirm pause|resume|abort|retry|rollback (operator)
  POST /rollouts/{id}/actions/{action}      do it (operator, CSRF-protected, audited)
  GET  /releases, /audit                    the release matrix and flags, the audit log
  GET  /login, POST /login, POST /logout    a browser's session
  POST /ofrep/v1/evaluate/flags/{flag}      {"context": {"targetingKey": "TENANT"}}
  POST /ofrep/v1/evaluate/flags             every flag for the tenant (ETag, 304)
  GET  /healthz
  GET  /calendar/{tenant}.ics[?weeks=N][&key=HEX]  the tenant's upcoming upgrades and windows (iCalendar)
  GET  /calendar.ics[?tier=T][&weeks=N][&key=HEX]  the same for a tier's tenants, or every tenant
                                            (key: a signed feed URL's, from herd calendar url; docs/reports.md)
  GET  /metrics                             the fleet for Prometheus (docs/metrics.md)

and the JSON API (read only; every list a page, ?limit= up to 500 and ?cursor=
the "next" of the page before; docs/api.md):

  GET  /api/v1/fleet                  tenants counted by version, status and server
  GET  /api/v1/tenants                ?version= &status= &tier= &server= &tag= &release= &q=
  GET  /api/v1/tenants/{code}         registry entry, status, ?history_after= &history_limit=,
                                      snapshots, rollout items ?rollouts_before= &rollouts_limit=
  GET  /api/v1/releases               the matrix with the tenants on each release
  GET  /api/v1/rollouts               ?status=, newest first
  GET  /api/v1/rollouts/{id}          counts per state and per wave
  GET  /api/v1/rollouts/{id}/items    ?state=, by wave and position
  GET  /api/v1/audit                  ?actor= &action=, newest first

An unknown or bad parameter is a 400 with {"error": "...", "parameter": "..."};
an unknown tenant or rollout a 404.

` + viewerTokensEnv + ` and ` + operatorTokensEnv + ` hold the tokens, comma-separated, each
name:secret; the name is the actor the audit log records. A bare secret in
` + viewerTokensEnv + ` is named viewer-1, viewer-2, ... by its place. Clients send
Authorization: Bearer SECRET (or X-API-Key); a browser signs in once at /login and
keeps a session cookie. Viewers read (pages, evaluations, calendars, the API,
/metrics); operators also act. A calendar application, which cannot send a
token, reads one feed with the key of its signed URL (herd calendar url). Without any token, serve listens on loopback only,
open to anyone there, and refuses another --addr.

Every --refresh, serve reads the control database's change counter and reloads
its flag data when the counter moved; a scrape of /metrics reads the control
database at most once per --refresh; one poller reads the counter every second
for all live rollout pages. herd.yaml's metrics: {per_tenant: true} adds a series
per tenant (off by default). serve stops gracefully on SIGINT or SIGTERM: an
emergency rollback started from the console starts no other tenant, finishes
the one in flight (up to a minute) and is recorded interrupted; its page says
how to carry on. Failed sign-ins are limited per client address and overall
(429 with Retry-After). See docs/console.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			viewers, err := server.ParseTokens(a.env.Getenv(viewerTokensEnv), "viewer")
			if err != nil {
				return fmt.Errorf("%s: %w", viewerTokensEnv, err)
			}
			operators, err := server.ParseTokens(a.env.Getenv(operatorTokensEnv), "operator")
			if err != nil {
				return fmt.Errorf("%s: %w", operatorTokensEnv, err)
			}
			open := len(viewers)+len(operators) == 0
			if open && !loopback(addr) {
				return usagef("serve: --addr %s is not a loopback address and no token is set: set %s or %s, or listen on 127.0.0.1", addr, viewerTokensEnv, operatorTokensEnv)
			}
			ctx := cmd.Context()
			logger := slog.New(slog.NewTextHandler(a.env.Stderr, nil))
			return a.withFleet(ctx, herd.Options{Logger: logger}, func(f *herd.Fleet) error {
				handler := server.New(f, server.Options{Viewers: viewers, Operators: operators, Logger: logger, RefreshEvery: refresh})
				ln, err := net.Listen("tcp", addr)
				if err != nil {
					return fmt.Errorf("serve: listen on %s: %w", addr, err)
				}
				access := "no token set: loopback only, open to anyone on this machine"
				if !open {
					access = fmt.Sprintf("%d viewer token(s) from %s, %d operator token(s) from %s", len(viewers), viewerTokensEnv, len(operators), operatorTokensEnv)
				}
				fmt.Fprintf(a.out, "herd: serving on http://%s (%s)\n", ln.Addr(), access)
				return serveUntilDone(ctx, ln, handler, logger)
			})
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
	cmd.Flags().DurationVar(&refresh, "refresh", server.DefaultRefreshEvery, "how often the control database is checked for changes to flag data, and at most how often /metrics reads it")
	return cmd
}

// serveUntilDone serves on ln until ctx is done, then shuts the server
// down, letting requests in flight finish for up to shutdownGrace, and
// the emergency rollbacks' tenants in flight for up to rollbackGrace.
func serveUntilDone(ctx context.Context, ln net.Listener, h *server.Server, logger *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	shutErr := srv.Shutdown(shutdownCtx)
	rollbackCtx, cancelRollbacks := context.WithTimeout(context.WithoutCancel(ctx), rollbackGrace)
	defer cancelRollbacks()
	if err := h.Shutdown(rollbackCtx); err != nil {
		return fmt.Errorf("serve: shut down: %w", err)
	}
	if shutErr != nil {
		return fmt.Errorf("serve: shut down: %w", shutErr)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// loopback reports whether addr (host:port) names only this machine: a
// loopback IP or localhost. An empty host (every interface) does not.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
