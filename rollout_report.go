package herd

import (
	"context"
	"time"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/source"
	"github.com/herdhq/herd/webhook"
)

// RolloutReport is a rollout with its tenants: how many are in each state
// and, per tenant, its wave, state, attempts, duration and last error.
type RolloutReport struct {
	Rollout Rollout `json:"rollout"`
	// Counts are the tenants per state (ItemPending, ...).
	Counts  map[ItemState]int `json:"counts"`
	Tenants []RolloutTenant   `json:"tenants"`
}

// RolloutTenant is one tenant of a RolloutReport.
type RolloutTenant struct {
	RolloutItem
	// NextEligible is when a pending tenant's maintenance window opens,
	// when it is closed now.
	NextEligible *time.Time `json:"next_eligible,omitempty"`
	// Chunk is the progress of a chunked migration that a running or
	// failed tenant's ledger records as under way, nil when there is none.
	Chunk *ChunkRun `json:"chunk,omitempty"`
	// Shadow is a running tenant's shadow migration while one is recorded
	// as running (its phase and progress), or interrupted; nil otherwise.
	Shadow *ShadowRun `json:"shadow,omitempty"`
}

// ChunkRun is the progress of a chunked migration under way, as the
// tenant's ledger records it: what the ranges committed so far did.
type ChunkRun struct {
	Migration string `json:"migration"`
	Table     string `json:"table"`
	Key       string `json:"key"`
	// Last is the last key whose range committed ("" before the first),
	// Rows the rows the ranges changed.
	Last string `json:"last"`
	Rows int64  `json:"rows"`
	// TableRows are the table's rows at the tenant's last analysis (herd
	// analyze), 0 when it was not measured.
	TableRows int64 `json:"table_rows,omitempty"`
}

// RolloutReport returns rollout id (0: the newest) with its tenants, their maintenance windows judged by the
// Fleet's clock. An unknown rollout is an input error.
func (f *Fleet) RolloutReport(ctx context.Context, id int64) (RolloutReport, error) {
	r, err := f.Rollouts(RolloutOptions{}).Newest(ctx, id)
	if err != nil {
		return RolloutReport{}, err
	}
	items, err := f.control.Items(ctx, r.ID)
	if err != nil {
		return RolloutReport{}, err
	}
	tiers, err := f.tiers(ctx)
	if err != nil {
		return RolloutReport{}, err
	}
	shadows, err := f.runningShadowRuns(ctx)
	if err != nil {
		return RolloutReport{}, err
	}
	rep := RolloutReport{Rollout: r, Counts: map[ItemState]int{}, Tenants: make([]RolloutTenant, 0, len(items))}
	now := f.opts.Now()
	for _, it := range items {
		rep.Counts[it.State]++
		ts := RolloutTenant{RolloutItem: it}
		if w := f.cfg.Windows.For(it.Tenant, tiers[it.Tenant]); w != nil && it.State == control.ItemPending && !w.Contains(now) {
			next := w.Next(now)
			ts.NextEligible = &next
		}
		if it.State == control.ItemRunning || it.State == control.ItemFailed {
			ts.Chunk = f.chunkRun(ctx, it.Tenant)
		}
		if run, ok := shadows[it.Tenant]; ok && it.State == control.ItemRunning {
			ts.Shadow = &run
		}
		rep.Tenants = append(rep.Tenants, ts)
	}
	return rep, nil
}

// chunkRun reads the progress of the chunked migration under way in
// tenant code's ledger, nil when there is none. A tenant that cannot be
// read is logged and shown without progress: a report must not fail on
// the tenant that is in trouble.
func (f *Fleet) chunkRun(ctx context.Context, code string) *ChunkRun {
	ref := control.TenantRef(code)
	entries, err := f.Ledger(ctx, ref)
	if err != nil {
		f.opts.Logger.Warn("herd: rollout report: the tenant's ledger could not be read", "database", ref.String(), "err", err)
		return nil
	}
	for _, e := range entries {
		m := f.src.Find(source.Tenant, e.ID)
		if !e.Resumable() || m == nil || m.Chunk == nil {
			continue
		}
		run := &ChunkRun{Migration: e.ID, Table: m.Chunk.Table, Key: m.Chunk.Key, Last: e.Chunk.Last, Rows: e.Chunk.Rows}
		if sz, ok, err := f.control.Size(ctx, code); err == nil && ok {
			for _, t := range sz.Tables {
				if t.Table == run.Table {
					run.TableRows = t.Rows
				}
			}
		}
		return run
	}
	return nil
}

// tiers returns every tenant's tier by code, which the maintenance
// windows are judged by; none, without reading the registry, when
// herd.yaml declares no window.
func (f *Fleet) tiers(ctx context.Context) (map[string]string, error) {
	if f.cfg.Windows.None() {
		return nil, nil
	}
	tenants, err := f.control.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	tiers := make(map[string]string, len(tenants))
	for _, t := range tenants {
		tiers[t.Code] = t.Tier
	}
	return tiers, nil
}

// Webhooks returns a sender that delivers the events it receives to the
// webhooks of herd.yaml, or nil when it declares none. With
// serve.public_url, planned-maintenance events link the tenant's
// calendar feed, signed with the fleet's calendar key (CalendarURL),
// which is made here on first use. The caller adds it to a rollout's
// events (RolloutOptions.Events) and closes it, which flushes what is
// queued.
func (f *Fleet) Webhooks(ctx context.Context) (*webhook.Sender, error) {
	if len(f.cfg.Webhooks) == 0 {
		return nil, nil
	}
	links, err := f.calendarLinks(ctx)
	if err != nil {
		return nil, err
	}
	return webhook.New(f.cfg.Webhooks, webhook.Options{CalendarURL: links}), nil
}

// CheckWebhooks refuses webhooks of herd.yaml that this environment may
// not use (see config.Config.CheckWebhooks): an *config.Error naming each
// at its line.
func (f *Fleet) CheckWebhooks() error { return f.cfg.CheckWebhooks() }
