package server

// /metrics: the fleet in Prometheus's text format, through
// prometheus/client_golang on a registry of the server's own (never the
// global one). docs/metrics.md lists every metric.
//
// A scrape refreshes what the metrics say from the control database when
// the last refresh is at least Options.RefreshEvery old, once for every
// scrape waiting on it, so a storm of scrapes reads the control database
// at most once per RefreshEvery; an idle server reads nothing. A refresh:
//
//   - reads the change counter, and the tenants' counts by version,
//     status and server (and, with metrics.per_tenant, each tenant's
//     state) only when the counter moved;
//   - reads the migration history after the last row it counted, and
//     feeds the rows to the duration histogram and the failure, rollback
//     and lock retry counters (see historyCursor for rows that commit out
//     of order);
//   - reads the unfinished rollouts and the newest finished ones, with
//     their tenants counted by state, the tenants' drift counts, and the
//     progress of the chunked migrations begun and not finished.
//
// A refresh that fails is logged and counted; the metrics go on saying
// what the last good one read.

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/drift"
)

// MetricsSource is what /metrics reads of a fleet. *herd.Fleet satisfies
// it.
type MetricsSource interface {
	// Generation reads the control database's change counter.
	Generation(ctx context.Context) (int64, error)
	// Overview counts the tenants by version, status and server.
	Overview(ctx context.Context) (herd.Overview, error)
	// Status lists the system database and every tenant with its
	// version and status; read only with metrics.per_tenant.
	Status(ctx context.Context) ([]herd.StatusRow, error)
	// HistoryAfter reads the fleet's history after a row's ID.
	HistoryAfter(ctx context.Context, after int64, limit int) ([]herd.HistoryEntry, error)
	// WatchedRollouts reads the unfinished rollouts and the newest
	// finished ones, with their tenants counted by state.
	WatchedRollouts(ctx context.Context, finished int) ([]herd.WatchedRollout, error)
	// DriftCounts counts the tenants by their last drift check.
	DriftCounts(ctx context.Context) (map[herd.DriftState]int, error)
	// ChunkProgresses reads the progress of the chunked migrations begun
	// and not finished.
	ChunkProgresses(ctx context.Context) ([]herd.ChunkProgress, error)
	// MetricsSettings is what herd.yaml says of the metrics.
	MetricsSettings() herd.MetricsSettings
}

var _ MetricsSource = (*herd.Fleet)(nil)

const (
	// finishedRollouts is how many of the newest finished rollouts the
	// rollout metrics keep showing besides the unfinished ones.
	finishedRollouts = 5
	// historyPage is how many history rows one query reads.
	historyPage = herd.MaxHistoryLimit
	// historyGrace is how long a refresh waits for a history row that
	// commits after a row with a higher ID (see historyCursor): far
	// longer than the transaction that records a run.
	historyGrace = time.Minute
	// refreshTimeout bounds one refresh.
	refreshTimeout = 30 * time.Second
	// noVersion is the version label of a tenant never migrated.
	noVersion = "none"
)

// durationBuckets are the bounds of the migration duration histogram, in
// seconds: from a small DDL statement to a long backfill.
var durationBuckets = []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}

// metrics serves /metrics for one fleet. It is safe for concurrent use.
type metrics struct {
	fleet    MetricsSource
	settings herd.MetricsSettings
	every    time.Duration
	now      func() time.Time
	log      *slog.Logger
	handler  http.Handler

	// refreshing is held during a refresh; it guards refreshedAt, gen,
	// groups, tenants and history.
	refreshing  sync.Mutex
	refreshedAt time.Time
	gen         int64
	groups      []herd.TenantGroup
	tenants     []herd.StatusRow
	history     *historyCursor

	// state is what the gauges say, replaced whole by each refresh.
	state atomic.Pointer[gauges]

	duration            *prometheus.HistogramVec
	failures, rollbacks *prometheus.CounterVec
	lockRetries         *prometheus.CounterVec
	readSeconds         prometheus.Gauge
	readErrors          prometheus.Counter
	lastRefresh         prometheus.Gauge
}

// gauges is what the fleet looked like at the last good refresh.
type gauges struct {
	groups   []herd.TenantGroup
	tenants  []herd.StatusRow
	rollouts []herd.WatchedRollout
	drift    map[herd.DriftState]int
	chunks   []herd.ChunkProgress
}

// newMetrics returns /metrics for fleet, refreshed at most once per
// every.
func newMetrics(fleet MetricsSource, every time.Duration, now func() time.Time, log *slog.Logger) *metrics {
	m := &metrics{
		fleet:    fleet,
		settings: fleet.MetricsSettings(),
		every:    every,
		now:      now,
		log:      log,
		gen:      -1,
		history:  newHistoryCursor(historyGrace),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "herd_migration_duration_seconds",
			Help:    "How long each migration step that succeeded took, from the control database's history, by database kind (system or tenant), migration and direction (up or down).",
			Buckets: durationBuckets,
		}, []string{"target", "migration", "direction"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herd_migration_failures_total",
			Help: "Migration steps that failed, from the control database's history, by database kind, migration and direction.",
		}, []string{"target", "migration", "direction"}),
		rollbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herd_migration_rollbacks_total",
			Help: "Migrations undone (down steps that succeeded), from the control database's history, by database kind and migration.",
		}, []string{"target", "migration"}),
		lockRetries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herd_lock_retries_total",
			Help: "Times a migration step (or the transaction it ran in) gave up on a lock after lock_timeout and was tried again, from the control database's history, by database kind and migration; counted once the step has finished.",
		}, []string{"target", "migration"}),
		readSeconds: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "herd_control_read_seconds",
			Help: "How long the last refresh of these metrics read the control database.",
		}),
		readErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "herd_control_read_errors_total",
			Help: "Refreshes of these metrics that failed to read the control database; the metrics then say what the last good refresh read.",
		}),
		lastRefresh: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "herd_control_last_refresh_timestamp_seconds",
			Help: "When these metrics were last refreshed from the control database, successfully, in seconds since the Unix epoch.",
		}),
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.duration, m.failures, m.rollbacks, m.lockRetries,
		m.readSeconds, m.readErrors, m.lastRefresh,
		&fleetCollector{m: m},
	)
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError)})
	return m
}

// ServeHTTP refreshes the metrics when due and writes them.
func (m *metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.refresh(r.Context())
	m.handler.ServeHTTP(w, r)
}

// refresh reads the control database when the last refresh is at least
// every old. Scrapes that arrive during a refresh wait for it and use
// it. A failed refresh counts as one: the next waits its turn too.
func (m *metrics) refresh(ctx context.Context) {
	m.refreshing.Lock()
	defer m.refreshing.Unlock()
	now := m.now()
	if !m.refreshedAt.IsZero() && now.Sub(m.refreshedAt) < m.every {
		return
	}
	m.refreshedAt = now
	// Detached from the scrape: others wait on this refresh too.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
	defer cancel()
	began := time.Now()
	g, err := m.read(ctx, now)
	m.readSeconds.Set(time.Since(began).Seconds())
	if err != nil {
		m.readErrors.Inc()
		m.log.Error("server: refresh metrics", "error", err)
		return
	}
	m.state.Store(g)
	m.lastRefresh.Set(float64(now.UnixNano()) / 1e9)
}

// read reads the control database as the file's comment says. The
// caller holds refreshing.
func (m *metrics) read(ctx context.Context, now time.Time) (*gauges, error) {
	gen, err := m.fleet.Generation(ctx)
	if err != nil {
		return nil, err
	}
	if gen != m.gen {
		o, err := m.fleet.Overview(ctx)
		if err != nil {
			return nil, err
		}
		var tenants []herd.StatusRow
		if m.settings.PerTenant {
			if tenants, err = m.fleet.Status(ctx); err != nil {
				return nil, err
			}
		}
		// The counter is read first: a change that commits meanwhile
		// moves it past gen, and the next refresh reads again.
		m.gen, m.groups, m.tenants = gen, o.Groups, tenants
	}
	if err := m.readHistory(ctx, now); err != nil {
		return nil, err
	}
	rollouts, err := m.fleet.WatchedRollouts(ctx, finishedRollouts)
	if err != nil {
		return nil, err
	}
	drifts, err := m.fleet.DriftCounts(ctx)
	if err != nil {
		return nil, err
	}
	chunks, err := m.fleet.ChunkProgresses(ctx)
	if err != nil {
		return nil, err
	}
	return &gauges{groups: m.groups, tenants: m.tenants, rollouts: rollouts, drift: drifts, chunks: chunks}, nil
}

// readHistory feeds the history rows not counted yet to the histogram
// and counters, a page at a time. The caller holds refreshing.
func (m *metrics) readHistory(ctx context.Context, now time.Time) error {
	after := m.history.after
	for {
		page, err := m.fleet.HistoryAfter(ctx, after, historyPage)
		if err != nil {
			return err
		}
		for _, h := range page {
			if m.history.take(h.ID) {
				m.observe(h)
			}
		}
		if len(page) < historyPage {
			break
		}
		after = page[len(page)-1].ID
	}
	m.history.settle(now)
	return nil
}

// observe counts one history row.
func (m *metrics) observe(h herd.HistoryEntry) {
	target := string(h.Type)
	if h.LockRetries > 0 {
		m.lockRetries.WithLabelValues(target, h.Migration).Add(float64(h.LockRetries))
	}
	switch h.Status {
	case control.HistoryFailed:
		m.failures.WithLabelValues(target, h.Migration, string(h.Direction)).Inc()
		return
	case control.HistoryRolledBack:
		m.rollbacks.WithLabelValues(target, h.Migration).Inc()
	}
	m.duration.WithLabelValues(target, h.Migration, string(h.Direction)).Observe(float64(h.ExecutionMS) / 1000)
}

// The gauges' descriptions.
var (
	tenantsDesc = prometheus.NewDesc("herd_tenants",
		"Registered tenants by current schema version (none: never migrated), migration status and server.",
		[]string{"version", "status", "server"}, nil)
	tenantInfoDesc = prometheus.NewDesc("herd_tenant_info",
		"1 for each registered tenant, labelled with its code, current schema version and migration status; only with metrics.per_tenant: true in herd.yaml.",
		[]string{"tenant", "version", "status"}, nil)
	rolloutTenantsDesc = prometheus.NewDesc("herd_rollout_tenants",
		"Tenants of a rollout by state, for every unfinished rollout and the newest finished ones.",
		[]string{"rollout", "release", "state"}, nil)
	rolloutStatusDesc = prometheus.NewDesc("herd_rollout_status",
		"1 for a rollout's status and 0 for the others, for every unfinished rollout and the newest finished ones.",
		[]string{"rollout", "release", "status"}, nil)
	rolloutOldestDesc = prometheus.NewDesc("herd_rollout_oldest_running_seconds",
		"How long a rollout's longest-running tenant has been running since its latest claim; 0 when none is running.",
		[]string{"rollout", "release"}, nil)
	tenantTimeoutDesc = prometheus.NewDesc("herd_rollout_tenant_timeout_seconds",
		"rollout.tenant_timeout of herd.yaml: how long one tenant's migration in a rollout may run.",
		nil, nil)
	chunkDatabasesDesc = prometheus.NewDesc("herd_chunk_migrations",
		"Databases in which a chunked migration has begun and not finished (running, or stopped part-way until a run finishes it), by database kind and migration.",
		[]string{"target", "migration"}, nil)
	chunkRowsDesc = prometheus.NewDesc("herd_chunk_rows",
		"Rows changed so far by the chunked migrations begun and not finished, summed over their databases, by database kind and migration.",
		[]string{"target", "migration"}, nil)
	chunkUpdatedDesc = prometheus.NewDesc("herd_chunk_last_progress_timestamp_seconds",
		"When a chunked migration begun and not finished last recorded progress in any of its databases, in seconds since the Unix epoch; a run records it at most once a second while its ranges commit.",
		[]string{"target", "migration"}, nil)
	chunkShareDesc = prometheus.NewDesc("herd_chunk_tenant_share",
		"How much of its key's span a tenant's chunked migration begun and not finished has walked, from 0 to 1 (0 for a text key); only with metrics.per_tenant: true in herd.yaml.",
		[]string{"tenant", "migration"}, nil)
	driftDesc = prometheus.NewDesc("herd_tenant_drift",
		"Registered tenants by the state of their last drift check (none, customised, drifted); tenants never checked are not counted.",
		[]string{"state"}, nil)
)

// fleetCollector reports the gauges of the last good refresh.
type fleetCollector struct{ m *metrics }

// Describe sends every gauge's description.
func (c *fleetCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{tenantsDesc, tenantInfoDesc, rolloutTenantsDesc, rolloutStatusDesc,
		rolloutOldestDesc, tenantTimeoutDesc, driftDesc, chunkDatabasesDesc, chunkRowsDesc, chunkUpdatedDesc, chunkShareDesc} {
		ch <- d
	}
}

// Collect sends the gauges; only the tenant timeout before the first
// good refresh.
func (c *fleetCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(tenantTimeoutDesc, prometheus.GaugeValue, c.m.settings.TenantTimeout.Seconds())
	g := c.m.state.Load()
	if g == nil {
		return
	}
	for _, grp := range g.groups {
		ch <- prometheus.MustNewConstMetric(tenantsDesc, prometheus.GaugeValue, float64(grp.Tenants),
			versionLabel(grp.Version), grp.Status, grp.Server)
	}
	for _, t := range g.tenants {
		if t.Type == string(herd.TenantDatabase) {
			ch <- prometheus.MustNewConstMetric(tenantInfoDesc, prometheus.GaugeValue, 1,
				t.Identifier, versionLabel(t.CurrentVersion), t.Status)
		}
	}
	for _, r := range g.rollouts {
		id, release := strconv.FormatInt(r.Rollout.ID, 10), r.Rollout.Release
		for _, st := range control.ItemStates() {
			ch <- prometheus.MustNewConstMetric(rolloutTenantsDesc, prometheus.GaugeValue, float64(r.Counts[st]), id, release, string(st))
		}
		for _, st := range control.RolloutStatuses() {
			ch <- prometheus.MustNewConstMetric(rolloutStatusDesc, prometheus.GaugeValue, boolValue(r.Rollout.Status == st), id, release, string(st))
		}
		var oldest float64
		if r.OldestRunning != nil {
			oldest = max(0, c.m.now().Sub(*r.OldestRunning).Seconds())
		}
		ch <- prometheus.MustNewConstMetric(rolloutOldestDesc, prometheus.GaugeValue, oldest, id, release)
	}
	for _, st := range []drift.State{drift.None, drift.Customised, drift.Drifted} {
		ch <- prometheus.MustNewConstMetric(driftDesc, prometheus.GaugeValue, float64(g.drift[st]), string(st))
	}
	c.collectChunks(ch, g.chunks)
}

// chunkSum is what the chunk gauges say of one migration on one kind of
// database.
type chunkSum struct {
	databases int
	rows      int64
	updated   time.Time
}

// collectChunks sends the chunk gauges: per migration, summed over its
// databases, and per tenant with metrics.per_tenant.
func (c *fleetCollector) collectChunks(ch chan<- prometheus.Metric, chunks []herd.ChunkProgress) {
	type key struct{ target, migration string }
	sums := map[key]*chunkSum{}
	var order []key
	for _, p := range chunks {
		k := key{string(p.Type), p.Migration}
		s, ok := sums[k]
		if !ok {
			s = &chunkSum{}
			sums[k] = s
			order = append(order, k)
		}
		s.databases++
		s.rows += p.Rows
		if p.UpdatedAt.After(s.updated) {
			s.updated = p.UpdatedAt
		}
		if c.m.settings.PerTenant && p.Type == herd.TenantDatabase {
			ch <- prometheus.MustNewConstMetric(chunkShareDesc, prometheus.GaugeValue, p.Share, p.Identifier, p.Migration)
		}
	}
	for _, k := range order {
		s := sums[k]
		ch <- prometheus.MustNewConstMetric(chunkDatabasesDesc, prometheus.GaugeValue, float64(s.databases), k.target, k.migration)
		ch <- prometheus.MustNewConstMetric(chunkRowsDesc, prometheus.GaugeValue, float64(s.rows), k.target, k.migration)
		ch <- prometheus.MustNewConstMetric(chunkUpdatedDesc, prometheus.GaugeValue, float64(s.updated.UnixNano())/1e9, k.target, k.migration)
	}
}

// versionLabel is a version as a label's value: noVersion for none.
func versionLabel(v string) string {
	if v == "" {
		return noVersion
	}
	return v
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
