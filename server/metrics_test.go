package server_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/rollout"
	"github.com/herdhq/herd/server"
)

// witnessSource is two tenant versions. v1.1.0 inserts the row 1 into
// the witness table: it fails on a tenant that holds that row already,
// and the health probe of metricsYAML fails on a tenant that then holds
// two rows.
func witnessSource() fstest.MapFS {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	return fstest.MapFS{
		"tenant/v1.0.0/001_create_witness.up.sql":   file("CREATE TABLE witness (n INT PRIMARY KEY);"),
		"tenant/v1.0.0/001_create_witness.down.sql": file("DROP TABLE witness;"),
		"tenant/v1.1.0/002_witness.up.sql":          file("-- herd:kind data\nINSERT INTO witness (n) VALUES (1);"),
		"tenant/v1.1.0/002_witness.down.sql":        file("DELETE FROM witness WHERE n = 1;"),
	}
}

// metricsYAML lets every tenant of a rollout fail, and fails the health
// probe of a tenant whose witness table holds two rows.
const metricsYAML = `rollout:
  failure_budget: 100%
health_probes:
  sql:
    - name: one_witness
      query: SELECT COUNT(*) < 2 FROM witness
`

// metricsBundle is a fleet on one engine, its control database read
// directly, and a server on it whose reads are counted.
type metricsBundle struct {
	t       *testing.T
	ctx     context.Context
	fleet   *herd.Fleet
	store   *control.Store
	source  *countingSource
	clock   *herdtest.Clock
	base    string
	rollout int64
}

// newMetricsBundle makes a fleet of m1 to m4, brought from v1.0.0 to
// v1.1.0 by a rollout in which m2 failed and m3 was rolled back, and m5,
// never migrated, with herd.yaml's extra; and a server on it refreshing
// every second of its fake clock.
func newMetricsBundle(t *testing.T, e herdtest.Engine, extra string) *metricsBundle {
	t.Helper()
	ctx := t.Context()
	scratch := e.NewFleet(t, witnessSource())
	scratch.WriteConfig(t, scratch.Config(metricsYAML+extra))
	fleet, err := herd.Open(ctx, scratch.Load(t), herdtest.Dialects(), herd.Options{Logger: herdtest.Logger(t)})
	require.NoError(t, err)
	codes := []string{"m1", "m2", "m3", "m4", "m5"}
	t.Cleanup(func() {
		fleet.Close()
		scratch.DropTenants(t, codes)
	})
	for _, code := range codes {
		_, err := fleet.AddTenant(ctx, herd.TenantSpec{Code: code})
		require.NoError(t, err)
	}
	require.NoError(t, fleet.MigrateTenants(ctx, herd.Selection{Tenants: "m1,m2,m3,m4"}, "1.0.0", 4))
	for code, row := range map[string]int{"m2": 1, "m3": 2} {
		db, _, err := fleet.OpenTenant(ctx, code)
		require.NoError(t, err)
		_, err = db.DB.ExecContext(ctx, fmt.Sprintf("INSERT INTO witness (n) VALUES (%d)", row))
		require.NoError(t, err)
		require.NoError(t, db.Close())
	}
	m := fleet.Rollouts(rollout.Options{})
	r, _, err := m.Start(ctx, rollout.StartRequest{Release: "v1.1.0", Selector: "m1,m2,m3,m4"})
	require.NoError(t, err)
	out, err := m.Work(ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, control.RolloutCompletedWithFailures, out.Rollout.Status)

	b := &metricsBundle{t: t, ctx: ctx, fleet: fleet, store: scratch.Control(t), source: &countingSource{Fleet: fleet},
		clock: herdtest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)), rollout: r.ID}
	b.base = start(t, b.source, server.Options{Now: b.clock.Now, RefreshEvery: time.Second, Logger: herdtest.Logger(t)}).base
	return b
}

// advance moves the server's clock on by d.
func (b *metricsBundle) advance(d time.Duration) { b.clock.Set(b.clock.Now().Add(d)) }

// scrape reads /metrics with the Prometheus text parser.
func (b *metricsBundle) scrape() map[string]*dto.MetricFamily {
	b.t.Helper()
	resp, err := http.Get(b.base + "/metrics")
	require.NoError(b.t, err)
	defer resp.Body.Close()
	require.Equal(b.t, http.StatusOK, resp.StatusCode)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(b.t, err)
	return families
}

// history reads every database's history straight from the control
// database.
func (b *metricsBundle) history() []control.HistoryEntry {
	b.t.Helper()
	refs := []control.Ref{control.SystemRef}
	tenants, err := b.store.Tenants(b.ctx)
	require.NoError(b.t, err)
	for _, t := range tenants {
		refs = append(refs, control.TenantRef(t.Code))
	}
	var all []control.HistoryEntry
	for _, ref := range refs {
		h, err := b.store.History(b.ctx, ref)
		require.NoError(b.t, err)
		all = append(all, h...)
	}
	return all
}

// labels renders a series' labels as "name=value,…" in the order names
// lists them.
func labels(m *dto.Metric, names ...string) string {
	values := map[string]string{}
	for _, l := range m.GetLabel() {
		values[l.GetName()] = l.GetValue()
	}
	out := ""
	for i, n := range names {
		if i > 0 {
			out += ","
		}
		out += n + "=" + values[n]
	}
	return out
}

// gauge returns a gauge family's values by labels, leaving out zeros.
func gauge(t *testing.T, families map[string]*dto.MetricFamily, name string, names ...string) map[string]float64 {
	t.Helper()
	f, ok := families[name]
	require.True(t, ok, "%s is not exported", name)
	out := map[string]float64{}
	for _, m := range f.GetMetric() {
		if v := m.GetGauge().GetValue() + m.GetCounter().GetValue(); v != 0 {
			out[labels(m, names...)] = v
		}
	}
	return out
}

// ofRollout keeps the series of a gauge of rollout id.
func ofRollout(series map[string]float64, id string) map[string]float64 {
	maps.DeleteFunc(series, func(k string, _ float64) bool { return !strings.HasPrefix(k, "rollout="+id+",") })
	return series
}

// steps is the history as the migration metrics count it: successful
// steps' counts and summed seconds, failures and rollbacks, by labels.
type steps struct {
	count, failures, rollbacks map[string]float64
	seconds                    map[string]float64
}

// expectedSteps counts the history rows as the metrics should.
func expectedSteps(history []control.HistoryEntry) steps {
	s := steps{count: map[string]float64{}, failures: map[string]float64{}, rollbacks: map[string]float64{}, seconds: map[string]float64{}}
	for _, h := range history {
		key := fmt.Sprintf("target=%s,migration=%s,direction=%s", h.Type, h.Migration, h.Direction)
		switch h.Status {
		case control.HistoryFailed:
			s.failures[key]++
			continue
		case control.HistoryRolledBack:
			s.rollbacks[fmt.Sprintf("target=%s,migration=%s", h.Type, h.Migration)]++
		}
		s.count[key]++
		s.seconds[key] += float64(h.ExecutionMS) / 1000
	}
	return s
}

// scrapedSteps reads the migration metrics of a scrape.
func scrapedSteps(t *testing.T, families map[string]*dto.MetricFamily) steps {
	t.Helper()
	s := steps{count: map[string]float64{}, seconds: map[string]float64{},
		failures:  gauge(t, families, "herd_migration_failures_total", "target", "migration", "direction"),
		rollbacks: gauge(t, families, "herd_migration_rollbacks_total", "target", "migration")}
	f, ok := families["herd_migration_duration_seconds"]
	require.True(t, ok, "herd_migration_duration_seconds is not exported")
	require.Equal(t, dto.MetricType_HISTOGRAM, f.GetType())
	for _, m := range f.GetMetric() {
		key := labels(m, "target", "migration", "direction")
		s.count[key] = float64(m.GetHistogram().GetSampleCount())
		s.seconds[key] = m.GetHistogram().GetSampleSum()
	}
	return s
}

// requireSteps checks a scrape's migration metrics against the history.
func requireSteps(t *testing.T, families map[string]*dto.MetricFamily, history []control.HistoryEntry) {
	t.Helper()
	want, got := expectedSteps(history), scrapedSteps(t, families)
	require.Equal(t, want.count, got.count, "histogram counts")
	require.Equal(t, want.failures, got.failures, "failures")
	require.Equal(t, want.rollbacks, got.rollbacks, "rollbacks")
	require.Len(t, got.seconds, len(want.seconds))
	for k, v := range want.seconds {
		require.InDelta(t, v, got.seconds[k], 1e-6, k)
	}
}

// /metrics says what the control database holds, on every engine: the
// tenants by version, status and server (and each tenant, with
// metrics.per_tenant), the migration history as a histogram and
// counters, the rollout's tenants by state; a later scrape adds only the
// history rows written since, and a scrape storm reads the control
// database once.
func TestMetricsMatchTheControlDatabase(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := newMetricsBundle(t, e, "metrics: {per_tenant: true}\n")
		families := b.scrape()

		// Tenants, counted from the registry and the version rows.
		versions, err := b.store.Versions(b.ctx)
		require.NoError(t, err)
		byRef := map[control.Ref]control.VersionState{}
		for _, v := range versions {
			byRef[v.Ref] = v
		}
		tenants, err := b.store.Tenants(b.ctx)
		require.NoError(t, err)
		wantGroups, wantInfo := map[string]float64{}, map[string]float64{}
		for _, tn := range tenants {
			v, ok := byRef[control.TenantRef(tn.Code)]
			version, status := v.CurrentVersion, string(v.Status)
			if !ok {
				status = string(control.StatusPending)
			}
			if version == "" {
				version = "none"
			}
			wantGroups[fmt.Sprintf("version=%s,status=%s,server=%s", version, status, tn.Server)]++
			wantInfo[fmt.Sprintf("tenant=%s,version=%s,status=%s", tn.Code, version, status)]++
		}
		require.Equal(t, map[string]float64{
			"version=1.1.0,status=completed,server=main": 2,
			"version=1.0.0,status=failed,server=main":    2,
			"version=none,status=pending,server=main":    1,
		}, wantGroups, "the scene")
		require.Equal(t, wantGroups, gauge(t, families, "herd_tenants", "version", "status", "server"))
		require.Equal(t, wantInfo, gauge(t, families, "herd_tenant_info", "tenant", "version", "status"))

		// The history, row for row.
		history := b.history()
		requireSteps(t, families, history)
		require.NotEmpty(t, expectedSteps(history).failures, "the scene has a failure")
		require.NotEmpty(t, expectedSteps(history).rollbacks, "the scene has a rollback")

		// The rollout's tenants by state, and its status.
		items, err := b.store.Items(b.ctx, b.rollout)
		require.NoError(t, err)
		wantItems := map[string]float64{}
		for _, it := range items {
			wantItems[fmt.Sprintf("rollout=%d,state=%s", b.rollout, it.State)]++
		}
		require.Equal(t, wantItems, gauge(t, families, "herd_rollout_tenants", "rollout", "state"))
		require.Equal(t, map[string]float64{fmt.Sprintf("rollout=%d,status=completed_with_failures", b.rollout): 1},
			gauge(t, families, "herd_rollout_status", "rollout", "status"))
		require.Empty(t, gauge(t, families, "herd_rollout_oldest_running_seconds", "rollout"), "nothing runs")
		require.Equal(t, map[string]float64{"": 1800}, gauge(t, families, "herd_rollout_tenant_timeout_seconds"))
		require.Empty(t, gauge(t, families, "herd_tenant_drift", "state"), "no tenant was checked for drift")
		require.Contains(t, families, "herd_control_read_seconds")

		// A later scrape, after more migrations, counts only the new rows.
		maxID := slices.MaxFunc(history, func(a, b control.HistoryEntry) int { return int(a.ID - b.ID) }).ID
		require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("m5"), "1.1.0"))
		b.advance(10 * time.Second)
		calls := len(b.source.historyCalls())
		families = b.scrape()
		history = b.history()
		requireSteps(t, families, history)
		newRows := 0
		for _, h := range history {
			if h.ID > maxID {
				newRows++
			}
		}
		require.Equal(t, 2, newRows, "m5 ran two migrations")
		require.Equal(t, 1.0, gauge(t, families, "herd_tenant_info", "tenant", "version", "status")["tenant=m5,version=1.1.0,status=completed"])

		// Once the grace for rows that commit out of order has passed,
		// a refresh starts after the last row and reads none.
		b.advance(2 * time.Minute)
		b.scrape()
		b.advance(10 * time.Second)
		b.scrape()
		reads := b.source.historyCalls()[calls:]
		last := reads[len(reads)-1]
		require.Equal(t, historyRead{after: maxHistoryID(history)}, last, "the last refresh read from the last row on")

		// A storm of scrapes within one refresh period reads the control
		// database once: a single read of the change counter, which has
		// not moved, so the tenants are not counted again.
		b.advance(10 * time.Second)
		gens, overviews := b.source.counts()
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() { b.scrape() })
		}
		wg.Wait()
		gens2, overviews2 := b.source.counts()
		require.Equal(t, gens+1, gens2)
		require.Equal(t, overviews, overviews2)

		// A tenant left running (its runner gone) is seen running for as
		// long as it has been since its claim: 45 minutes, past the
		// 30-minute tenant timeout.
		r, _, err := b.fleet.Rollouts(rollout.Options{}).Start(b.ctx, rollout.StartRequest{Release: "v1.1.0", Selector: "m2"})
		require.NoError(t, err)
		pending, err := b.store.Items(b.ctx, r.ID)
		require.NoError(t, err)
		_, ok, err := b.store.Claim(b.ctx, pending[0], "gone", time.Minute)
		require.NoError(t, err)
		require.True(t, ok)
		claimed, err := b.store.Items(b.ctx, r.ID)
		require.NoError(t, err)
		b.clock.Set(claimed[0].StartedAt.Add(45 * time.Minute))
		families = b.scrape()
		id := strconv.FormatInt(r.ID, 10)
		require.Equal(t, map[string]float64{"rollout=" + id + ",state=running": 1},
			ofRollout(gauge(t, families, "herd_rollout_tenants", "rollout", "state"), id))
		require.Equal(t, map[string]float64{"rollout=" + id + ",status=running": 1},
			ofRollout(gauge(t, families, "herd_rollout_status", "rollout", "status"), id))
		require.InDelta(t, 2700, gauge(t, families, "herd_rollout_oldest_running_seconds", "rollout")["rollout="+id], 1)
	})
}

// maxHistoryID is the highest ID of history.
func maxHistoryID(history []control.HistoryEntry) int64 {
	var id int64
	for _, h := range history {
		id = max(id, h.ID)
	}
	return id
}

// countingSource counts what /metrics reads of a real fleet.
type countingSource struct {
	*herd.Fleet
	mu              sync.Mutex
	gens, overviews int
	history         []historyRead
}

// historyRead is one read of the history: where it started and the IDs
// it returned.
type historyRead struct {
	after int64
	ids   []int64
}

func (s *countingSource) Generation(ctx context.Context) (int64, error) {
	s.mu.Lock()
	s.gens++
	s.mu.Unlock()
	return s.Fleet.Generation(ctx)
}

func (s *countingSource) HistoryAfter(ctx context.Context, after int64, limit int) ([]herd.HistoryEntry, error) {
	h, err := s.Fleet.HistoryAfter(ctx, after, limit)
	read := historyRead{after: after}
	for _, e := range h {
		read.ids = append(read.ids, e.ID)
	}
	s.mu.Lock()
	s.history = append(s.history, read)
	s.mu.Unlock()
	return h, err
}

func (s *countingSource) Overview(ctx context.Context) (herd.Overview, error) {
	s.mu.Lock()
	s.overviews++
	s.mu.Unlock()
	return s.Fleet.Overview(ctx)
}

// counts returns how many times the change counter and the overview were
// read.
func (s *countingSource) counts() (gens, overviews int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gens, s.overviews
}

func (s *countingSource) historyCalls() []historyRead {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.history)
}

// Without metrics.per_tenant no series names a tenant.
func TestMetricsNameNoTenantByDefault(t *testing.T) {
	t.Parallel()
	b := newMetricsBundle(t, herdtest.Engines()[0], "")
	families := b.scrape()
	require.NotContains(t, families, "herd_tenant_info")
	for name, f := range families {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				require.NotEqual(t, "tenant", l.GetName(), name)
				require.NotRegexp(t, `^m[1-5]$`, l.GetValue(), name)
			}
		}
	}
}

// A control database that cannot be read is counted and logged; /metrics
// still answers, with what it knows.
func TestMetricsWithoutControlDatabase(t *testing.T) {
	t.Parallel()
	c := start(t, failingFleet{}, server.Options{})
	resp, err := http.Get(c.base + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	require.Equal(t, 1.0, families["herd_control_read_errors_total"].GetMetric()[0].GetCounter().GetValue())
	require.NotContains(t, families, "herd_tenants")
}

// With viewer tokens, a scrape needs one.
func TestMetricsNeedAViewerToken(t *testing.T) {
	t.Parallel()
	c := start(t, failingFleet{}, server.Options{Viewers: []server.Token{{Name: "prometheus", Secret: "s3cret"}}})
	for _, tc := range []struct {
		name, auth string
		status     int
	}{
		{"none", "", http.StatusUnauthorized},
		{"wrong", "Bearer nope", http.StatusUnauthorized},
		{"viewer", "Bearer s3cret", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, c.base+"/metrics", nil)
			require.NoError(t, err)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, tc.status, resp.StatusCode)
		})
	}
}

func (failingFleet) Overview(context.Context) (herd.Overview, error) {
	return herd.Overview{}, fmt.Errorf("control: count tenants: connection refused")
}

func (failingFleet) Status(context.Context) ([]herd.StatusRow, error) {
	return nil, fmt.Errorf("control: read versions: connection refused")
}

func (failingFleet) HistoryAfter(context.Context, int64, int) ([]herd.HistoryEntry, error) {
	return nil, fmt.Errorf("control: history of the fleet: connection refused")
}

func (failingFleet) WatchedRollouts(context.Context, int) ([]herd.WatchedRollout, error) {
	return nil, fmt.Errorf("control: read rollouts: connection refused")
}

func (failingFleet) DriftCounts(context.Context) (map[herd.DriftState]int, error) {
	return nil, fmt.Errorf("control: count the tenants' drift: connection refused")
}

func (failingFleet) ChunkProgresses(context.Context) ([]herd.ChunkProgress, error) {
	return nil, fmt.Errorf("control: list chunked migrations' progress: connection refused")
}

func (failingFleet) MetricsSettings() herd.MetricsSettings { return herd.MetricsSettings{} }
