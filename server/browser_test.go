package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/server"
)

// chromiumPath finds the browser the console's browser tests drive:
// $HERD_CHROMIUM, else chromium on the PATH. Without one the test skips,
// saying why, or fails under CI=true.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("HERD_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("the console's browser tests need chromium (apt-get install chromium; .ci/run installs it)")
	}
	t.Skip("no chromium on the PATH (apt-get install chromium, or set HERD_CHROMIUM); CI=true makes this a failure")
	return ""
}

// newBrowserTab starts a headless chromium with a fresh profile and
// returns a tab's context; the test's end closes both.
func newBrowserTab(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 860),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(cancelTab)
	require.NoError(t, chromedp.Do(tab), "start chromium") // the browser lives as long as tab, not the timeout below
	ctx, cancel := context.WithTimeout(tab, 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// browserFleet is a School ERP fleet like herd demo's, smaller: trusts
// in three tiers, all at v1.0.0, with a slow rollout: one tenant per
// batch and a pause between batches, so that a browser sees it advance;
// trust_002 will fail it.
func browserFleet(t *testing.T, trusts int) (*herd.Fleet, *herdtest.Fleet) {
	t.Helper()
	fleet, scratch := openFleetOn(t, herdtest.Engines()[0], testFlags+`rollout:
  concurrency: 1
  batch_size: 1
  pause_between_batches: 600ms
  failure_budget: 1
  waves:
    - {name: canary, tenants: [trust_001, trust_002]}
    - {name: rest}
`, nil)
	tiers := []string{"standard", "premium", "enterprise"}
	for i := 1; i <= trusts; i++ {
		_, err := fleet.AddTenant(t.Context(), herd.TenantSpec{Code: fmt.Sprintf("trust_%03d", i), Name: fmt.Sprintf("School Trust %d", i), Tier: tiers[i%len(tiers)]})
		require.NoError(t, err)
	}
	t.Cleanup(func() {
		codes := make([]string, trusts)
		for i := range codes {
			codes[i] = fmt.Sprintf("trust_%03d", i+1)
		}
		scratch.DropTenants(t, codes)
	})
	require.NoError(t, fleet.MigrateAll(t.Context(), "v1.0.0", 4))
	// A support engineer made the table v1.1.0 creates in one trust: its
	// migration fails, within the budget, and the overview lists it.
	db, _, err := fleet.OpenTenant(t.Context(), "trust_002")
	require.NoError(t, err)
	_, err = db.DB.ExecContext(t.Context(), "CREATE TABLE custom_field_values (id INTEGER PRIMARY KEY)")
	require.NoError(t, err)
	require.NoError(t, db.Close())
	return fleet, scratch
}

// text reads the text of the element sel selects.
func text(ctx context.Context, t *testing.T, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	require.NoError(t, err)
	return strings.TrimSpace(s)
}

// evaluate runs script in the page and returns its value.
func evaluate[T any](ctx context.Context, t *testing.T, script string) T {
	t.Helper()
	out, err := chromedp.Run(ctx, chromedp.Evaluate[T](script, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	return out
}

// screenshot saves the page as dir/name when HERD_SCREENSHOTS names a
// folder (the README's pictures: HERD_SCREENSHOTS=docs).
func screenshot(ctx context.Context, t *testing.T, name string) {
	t.Helper()
	dir := os.Getenv("HERD_SCREENSHOTS")
	if dir == "" {
		return
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join("..", dir) // the tests run in server/; the folder is the repository's
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), png, 0o644))
}

// The console in a real browser: sign in; watch a rollout advance without
// a reload; pause it from the page (the control database says paused, the
// audit log says who); a viewer sees no action and its POST is refused;
// a form on another origin that posts to the console is refused.
func TestConsoleInBrowser(t *testing.T) {
	t.Parallel()
	ctx := newBrowserTab(t)
	const trusts = 12
	fleet, scratch := browserFleet(t, trusts)
	store := scratch.Control(t)
	reads := &readsFleet{Fleet: fleet}
	srv := httptest.NewServer(server.New(reads, consoleOptions))
	t.Cleanup(srv.Close)

	// Sign in: the console sends a browser without a session to /login
	// and back.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), otto.Secret),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#who")),
	))
	require.Equal(t, "otto · operator", text(ctx, t, "#who"))

	// The overview shows the fleet's counts: every trust at v1.0.0.
	require.Equal(t, strconv.Itoa(trusts), text(ctx, t, "#fleet-tenants"))
	require.Equal(t, strconv.Itoa(trusts), text(ctx, t, "#status-completed"))
	require.Equal(t, "0", text(ctx, t, "#status-failed"))
	require.Equal(t, strconv.Itoa(trusts), text(ctx, t, `[id="version-1.0.0"]`))

	// A rollout starts, and a runner works it.
	m := fleet.Rollouts(herd.RolloutOptions{})
	r, _, err := m.Start(t.Context(), herd.StartRequest{Release: "v1.1.0"})
	require.NoError(t, err)
	worked := make(chan error, 1)
	go func() { _, err := m.Work(context.WithoutCancel(t.Context()), r.ID); worked <- err }()

	// Its page follows it without a reload: the marker set on the loaded
	// page survives, the live updates arrive and the finished tenants grow.
	// 49 more viewers watch its events meanwhile: the reads do not grow
	// with them.
	path := fmt.Sprintf("%s/rollouts/%d", srv.URL, r.ID)
	for range 49 {
		watch(t, srv.URL, fmt.Sprintf("/rollouts/%d/events", r.ID), vera.Secret)
	}
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(path), chromedp.WaitVisible(chromedp.CSS("#progress")),
		discard(chromedp.Evaluate[string](`window.herdMarker = "not reloaded"`))))
	first := finished(ctx, t)
	start := time.Now()
	beforeGenerations, beforeRollouts := reads.generations.Load(), reads.rollouts.Load()
	require.NoError(t, chromedp.Do(ctx, discard(chromedp.Poll[bool](fmt.Sprintf(
		`(() => { const p = document.getElementById("progress"); const n = Number(document.getElementById("count-done").textContent);
		          return Number(p.dataset.updates || 0) >= 3 && n > %d && n < %d; })()`, first, trusts), chromedp.WithPollingTimeout(time.Minute)))))
	require.Equal(t, "not reloaded", evaluate[string](ctx, t, `window.herdMarker`))
	elapsed := time.Since(start)
	t.Logf("50 viewers (the page and 49 event streams) followed the rollout from %d to %d finished tenants in %s: %d change-counter reads and %d rollout reads",
		first, finished(ctx, t), elapsed.Round(time.Millisecond), reads.generations.Load()-beforeGenerations, reads.rollouts.Load()-beforeRollouts)
	screenshot(ctx, t, "console-rollout.png")

	// Pause from the page: confirm, then the control database says paused
	// and the audit log names the token.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#action-pause")),
		chromedp.WaitVisible(chromedp.CSS("#confirm")),
		chromedp.Click(chromedp.CSS("#confirm")),
		chromedp.Click(chromedp.CSS("#do")),
		chromedp.WaitVisible(chromedp.CSS("#done")),
	))
	require.Equal(t, control.RolloutPaused, status(t, store, r.ID))
	require.Equal(t, "otto", lastActor(t, fleet, "rollout.pause"))
	require.NoError(t, <-worked, "the runner stops at the pause")

	// A form on another origin (another port of the same host, so the
	// browser sends the session cookie along) posts to the console: it is
	// refused, and the rollout stays paused.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `<!doctype html><form id="f" method="post" action="%s/actions/resume">
<input type="hidden" name="confirm" value="yes"></form><script>document.getElementById("f").submit()</script>`, path)
	}))
	t.Cleanup(evil.Close)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(evil.URL), chromedp.WaitVisible(chromedp.CSS(".problem"))))
	require.Contains(t, text(ctx, t, ".problem"), "a request from another site is refused")
	require.Equal(t, control.RolloutPaused, status(t, store, r.ID))

	// Sign out; a viewer signs in: no action on the page, and a POST it
	// makes with its own session is refused 403.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(path),
		chromedp.Click(chromedp.CSS("button.link")),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), vera.Secret),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#who")),
		chromedp.Navigate(path),
		chromedp.WaitVisible(chromedp.CSS("#progress")),
	))
	require.Equal(t, "vera · viewer", text(ctx, t, "#who"))
	require.Zero(t, evaluate[int](ctx, t, `document.querySelectorAll("[id^=action-]").length`), "a viewer sees no action")
	refused := evaluate[int](ctx, t, `fetch(location.pathname + "/actions/resume", {method: "POST",
		body: new URLSearchParams({confirm: "yes"})}).then(r => r.status)`)
	require.Equal(t, http.StatusForbidden, refused)
	require.Equal(t, control.RolloutPaused, status(t, store, r.ID))

	// The overview, with the failed trust first and the paused rollout.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#failures"))))
	require.Contains(t, text(ctx, t, "#failures"), "trust_002")
	require.Contains(t, text(ctx, t, "#failures"), "custom_field_values")
	screenshot(ctx, t, "console-overview.png")
}

// finished reads the rollout page's count of finished tenants.
func finished(ctx context.Context, t *testing.T) int {
	t.Helper()
	n, err := strconv.Atoi(text(ctx, t, "#count-done"))
	require.NoError(t, err)
	return n
}

// discard makes an action that returns a value one of a sequence.
func discard[T any](a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := a(ctx, t)
		return chromedp.Void{}, err
	}
}
