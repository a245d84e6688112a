package rollout

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/herdhq/herd/execute"
)

// probeError is a failed health probe: an automatic rollback trigger.
type probeError struct {
	probe string
	err   error
}

func (e *probeError) Error() string { return fmt.Sprintf("health probe %s failed: %v", e.probe, e.err) }
func (e *probeError) Unwrap() error { return e.err }

// probe runs every configured health probe against the tenant once: the
// SQL probes on its database, each of which must return one true row, and
// the HTTP probe, which must answer 2xx. It returns the first failure.
func (m *Manager) probe(ctx context.Context, code string) error {
	probes := m.cfg.Probes
	if len(probes.SQL) > 0 {
		db, _, err := m.fleet.OpenTenant(ctx, code)
		if err != nil {
			return &probeError{probe: "connect", err: err}
		}
		defer db.Close()
		for _, p := range probes.SQL {
			var v any
			if err := db.DB.QueryRowContext(ctx, p.Query).Scan(&v); err != nil {
				return &probeError{probe: p.Name, err: err}
			}
			if !execute.Truthy(v) {
				return &probeError{probe: p.Name, err: fmt.Errorf("returned %v", v)}
			}
		}
	}
	if url := probes.URL(code); url != "" {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return &probeError{probe: "http", err: err}
		}
		resp, err := m.opts.HTTPClient.Do(req)
		if err != nil {
			return &probeError{probe: "http", err: err}
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return &probeError{probe: "http", err: fmt.Errorf("%s answered %s", url, resp.Status)}
		}
	}
	return nil
}

// hasProbes reports whether any health probe is configured.
func (m *Manager) hasProbes() bool {
	return len(m.cfg.Probes.SQL) > 0 || m.cfg.Probes.HTTP != ""
}

// watch probes the tenant every ProbeInterval until stop is called, and
// cancels the migration's context at the first failure, which the returned
// function then reports.
func (m *Manager) watch(ctx context.Context, cancel context.CancelCauseFunc, code string) (stop func() error) {
	if !m.hasProbes() {
		return func() error { return nil }
	}
	done := make(chan struct{})
	failed := make(chan error, 1)
	go func() {
		t := time.NewTicker(m.settings.ProbeInterval)
		defer t.Stop()
		for {
			select {
			case <-done:
				failed <- nil
				return
			case <-t.C:
				if err := m.probe(ctx, code); err != nil && ctx.Err() == nil {
					cancel(err)
					failed <- err
					return
				}
			}
		}
	}()
	return func() error { close(done); return <-failed }
}

// bake probes the tenant right after its migration and then every
// ProbeInterval for BakeTime. It returns the first failure.
func (m *Manager) bake(ctx context.Context, code string) error {
	if !m.hasProbes() {
		return nil
	}
	deadline := m.opts.Now().Add(m.settings.BakeTime)
	for {
		if err := m.probe(ctx, code); err != nil {
			return err
		}
		if !m.opts.Now().Before(deadline) {
			return nil
		}
		// A graceful stop does not cut a tenant's bake short: it is in flight.
		if err := sleep(ctx, nil, min(m.settings.ProbeInterval, deadline.Sub(m.opts.Now()))); err != nil {
			return err
		}
	}
}
