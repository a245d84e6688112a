package config_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // hermetic time zones for the tests only; see the package doc

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/event"
)

// plus returns valid followed by lines, which start at line 9.
func plus(lines ...string) []string {
	return append(append([]string{}, valid...), lines...)
}

func TestParseRolloutSections(t *testing.T) {
	t.Parallel()
	data := yml(plus(
		"rollout:", // 9
		"  concurrency: 8",
		"  per_server: 4",
		"  batch_size: 10",
		"  pause_between_batches: 5s",
		"  failure_budget: 2",
		"  lease: 45s", // 15
		"  tenant_timeout: 1h",
		"  bake_time: 2m",
		"  probe_interval: 15s",
		"  snapshots: always",
		"  snapshot_retention: 0", // 20
		"  waves:",
		"    - name: canary",
		"      tenants: [demo_trust, test_trust]",
		"    - name: premium",
		"      tiers: [premium, enterprise]", // 25
		"    - name: quarter",
		"      percent: 25",
		"      failure_budget: 10%",
		"    - name: rest",
		"health_probes:", // 30
		"  sql:",
		"    - name: students_readable",
		"      query: SELECT COUNT(*) >= 0 FROM students",
		`  http: "http://127.0.0.1:8080/health/{code}"`,
		"maintenance_windows:", // 35
		`  default: {days: [mon, tue, wed, thu, fri, sat, sun], hours: "00:00-24:00", time_zone: UTC}`,
		"  tiers:",
		`    enterprise: {days: [sat, sun], hours: "01:00-05:00", time_zone: Asia/Kolkata}`,
		"  tenants:",
		`    st_marys: {days: [sun], hours: "22:00-02:00", time_zone: Europe/London}`, // 40
		"webhooks:",
		`  - url: "http://127.0.0.1:9999/herd"`,
		"    secret: ${HERD_WEBHOOK_SECRET}",
		"    events: [rollout.started, tenant.done, tenant.failed, tenant.rolled_back, rollout.halted, rollout.completed]",
		"  - url: https://hooks.example.com/${HOOK_TOKEN}", // 45
		"    secret: plain",
	)...)
	cfg, err := config.ParseEnv(data, "", map[string]string{"HERD_WEBHOOK_SECRET": "s3cret", "HOOK_TOKEN": "tok"})
	require.NoError(t, err)

	budget10 := config.Budget{Percent: 10}
	require.Equal(t, config.Rollout{
		Concurrency: 8, PerServer: 4, BatchSize: 10,
		PauseBetweenBatches: 5 * time.Second, Lease: 45 * time.Second, TenantTimeout: time.Hour,
		BakeTime: 2 * time.Minute, ProbeInterval: 15 * time.Second, SnapshotRetention: config.Retention{},
		FailureBudget: config.Budget{Count: 2},
		Snapshots:     config.SnapshotsAlways,
		Waves: []config.Wave{
			{Name: "canary", Tenants: []string{"demo_trust", "test_trust"}, Line: 22},
			{Name: "premium", Tiers: []string{"premium", "enterprise"}, Line: 24},
			{Name: "quarter", Percent: 25, FailureBudget: &budget10, Line: 26},
			{Name: "rest", Line: 29},
		},
	}, cfg.Rollout)
	require.Equal(t, config.Budget{Count: 2}, cfg.Rollout.WaveBudget(cfg.Rollout.Waves[0]))
	require.Equal(t, budget10, cfg.Rollout.WaveBudget(cfg.Rollout.Waves[2]))

	require.Equal(t, config.Probes{
		SQL:  []config.SQLProbe{{Name: "students_readable", Query: "SELECT COUNT(*) >= 0 FROM students"}},
		HTTP: "http://127.0.0.1:8080/health/{code}",
	}, cfg.Probes)
	require.Equal(t, "http://127.0.0.1:8080/health/st_marys", cfg.Probes.URL("st_marys"))

	require.NotNil(t, cfg.Windows.Default)
	require.Equal(t, "mon,tue,wed,thu,fri,sat,sun 00:00-24:00 UTC", cfg.Windows.Default.Text)
	require.Equal(t, 24*time.Hour, cfg.Windows.Default.End)
	ent := cfg.Windows.Tiers["enterprise"]
	require.Equal(t, []time.Weekday{time.Saturday, time.Sunday}, ent.Days)
	require.Equal(t, time.Hour, ent.Start)
	require.Equal(t, 5*time.Hour, ent.End)
	require.Equal(t, "Asia/Kolkata", ent.Location.String())
	require.Equal(t, "sat,sun 01:00-05:00 Asia/Kolkata", ent.Text)
	sm := cfg.Windows.Tenants["st_marys"]
	require.Equal(t, []time.Weekday{time.Sunday}, sm.Days)
	require.Equal(t, 22*time.Hour, sm.Start)
	require.Equal(t, 2*time.Hour, sm.End)
	require.Equal(t, "sun 22:00-02:00 Europe/London", sm.String())

	require.Equal(t, []config.Webhook{
		{URL: "http://127.0.0.1:9999/herd", Secret: "s3cret", Line: 42, Events: []string{
			"rollout.started", "tenant.done", "tenant.failed", "tenant.rolled_back", "rollout.halted", "rollout.completed"}},
		{URL: "https://hooks.example.com/tok", Secret: "plain", Line: 45},
	}, cfg.Webhooks)
	require.True(t, cfg.Webhooks[0].Wants(event.TenantFailed))
	require.False(t, cfg.Webhooks[0].Wants(event.TenantStarted))
	require.True(t, cfg.Webhooks[1].Wants(event.TenantStarted))
	require.False(t, cfg.Webhooks[1].Wants(event.StatementStarted), "a webhook listing no events gets the fleet events, not the steps")
}

func TestParseRolloutDefaults(t *testing.T) {
	t.Parallel()
	want := config.Rollout{
		Concurrency: 4, PerServer: 4, BatchSize: 4,
		Lease: 30 * time.Second, TenantTimeout: 30 * time.Minute, ProbeInterval: 10 * time.Second,
		SnapshotRetention: config.Retention{Age: 168 * time.Hour}, Snapshots: "required",
	}
	require.Equal(t, want, config.DefaultRollout())
	tests := []struct {
		name  string
		lines []string
		want  config.Rollout
	}{
		{name: "no rollout section", lines: valid, want: want},
		{name: "empty rollout section", lines: plus("rollout:"), want: want},
		{name: "null keys keep defaults", lines: plus("rollout: {lease: ~, waves: ~, failure_budget: ~}"), want: want},
		{
			name:  "per_server and batch_size follow concurrency",
			lines: plus("rollout: {concurrency: 16}"),
			want: func() config.Rollout {
				r := want
				r.Concurrency, r.PerServer, r.BatchSize = 16, 16, 16
				return r
			}(),
		},
		{
			name:  "percent budget and zero durations",
			lines: plus("rollout: {failure_budget: 2.5%, pause_between_batches: 0, bake_time: 0s}"),
			want: func() config.Rollout {
				r := want
				r.FailureBudget = config.Budget{Percent: 2.5}
				return r
			}(),
		},
		{
			name:  "quoted count, zero percent",
			lines: plus(`rollout: {failure_budget: "3", waves: [{name: all, failure_budget: 0%}]}`),
			want: func() config.Rollout {
				r := want
				r.FailureBudget = config.Budget{Count: 3}
				r.Waves = []config.Wave{{Name: "all", FailureBudget: &config.Budget{}, Line: 9}}
				return r
			}(),
		},
		{
			name:  "percent written with a sign",
			lines: plus("rollout:", "  waves:", "    - {name: half, percent: 50%}", "    - {name: rest}"),
			want: func() config.Rollout {
				r := want
				r.Waves = []config.Wave{{Name: "half", Percent: 50, Line: 11}, {Name: "rest", Line: 12}}
				return r
			}(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.ParseEnv(yml(tt.lines...), "", nil)
			require.NoError(t, err)
			require.Equal(t, tt.want, cfg.Rollout)
			require.Empty(t, cfg.Probes)
			require.Empty(t, cfg.Windows)
			require.Empty(t, cfg.Webhooks)
		})
	}
}

func TestParseRolloutErrors(t *testing.T) {
	t.Parallel()
	env := map[string]string{"HERD_WEBHOOK_SECRET": "s3cret", "EMPTY": ""}
	tests := []struct {
		name  string
		lines []string
		want  string // the whole error
	}{
		// rollout
		{"rollout not a mapping", plus("rollout: fast"),
			"herd.yaml:9: rollout: want a mapping of rollout settings, got a string"},
		{"unknown rollout key", plus("rollout:", "  concurency: 8"),
			"herd.yaml:10: rollout: unknown key \"concurency\" (known: concurrency, per_server, batch_size, " +
				"pause_between_batches, failure_budget, lease, tenant_timeout, bake_time, probe_interval, " +
				"snapshots, snapshot_retention, waves)"},
		{"duplicate rollout key", plus("rollout:", "  lease: 30s", "  lease: 40s"),
			"herd.yaml:11: rollout: duplicate key \"lease\" (first at line 10)"},
		{"zero concurrency", plus("rollout:", "  concurrency: 0"),
			"herd.yaml:10: rollout.concurrency: must be at least 1, got 0"},
		{"negative per_server", plus("rollout: {per_server: -2}"),
			"herd.yaml:9: rollout.per_server: must be at least 1, got -2"},
		{"fractional batch_size", plus("rollout: {batch_size: 2.5}"),
			"herd.yaml:9: rollout.batch_size: want a whole number such as 4, got \"2.5\""},
		{"concurrency as a word", plus("rollout: {concurrency: many}"),
			"herd.yaml:9: rollout.concurrency: want a whole number such as 4, got \"many\""},
		{"concurrency as a list", plus("rollout: {concurrency: [4]}"),
			"herd.yaml:9: rollout.concurrency: want a whole number such as 4, got a list"},
		{"duration without a unit", plus("rollout: {pause_between_batches: 5}"),
			"herd.yaml:9: rollout.pause_between_batches: \"5\" is not a duration (want a number and a unit: 30s, 5m, 1h30m)"},
		{"duration in words", plus("rollout: {tenant_timeout: half an hour}"),
			"herd.yaml:9: rollout.tenant_timeout: \"half an hour\" is not a duration (want a number and a unit: 30s, 5m, 1h30m)"},
		{"duration as a mapping", plus("rollout: {bake_time: {minutes: 5}}"),
			"herd.yaml:9: rollout.bake_time: want a duration such as 30s, 5m or 1h30m, got a mapping"},
		{"negative duration", plus("rollout: {bake_time: -1m}"),
			"herd.yaml:9: rollout.bake_time: must not be negative, got -1m"},
		{"short lease", plus("rollout: {lease: 2s}"),
			"herd.yaml:9: rollout.lease: must be at least 3s, got 2s"},
		{"zero tenant_timeout", plus("rollout: {tenant_timeout: 0s}"),
			"herd.yaml:9: rollout.tenant_timeout: must be at least 1s, got 0s"},
		{"short probe_interval", plus("rollout: {probe_interval: 100ms}"),
			"herd.yaml:9: rollout.probe_interval: must be at least 1s, got 100ms"},
		{"negative snapshot_retention", plus("rollout: {snapshot_retention: -168h}"),
			"herd.yaml:9: rollout.snapshot_retention: must not be negative, got -168h"},
		{"bad snapshots", plus("rollout: {snapshots: sometimes}"),
			"herd.yaml:9: rollout.snapshots: want always, required, best_effort or never, got \"sometimes\""},
		{"negative budget", plus("rollout: {failure_budget: -1}"),
			"herd.yaml:9: rollout.failure_budget: must not be negative, got -1"},
		{"budget over 100%", plus("rollout: {failure_budget: 150%}"),
			"herd.yaml:9: rollout.failure_budget: want a percentage from 0% to 100%, got \"150%\""},
		{"budget not a number", plus("rollout: {failure_budget: some}"),
			"herd.yaml:9: rollout.failure_budget: want a count such as 2 or a percentage such as 10%, got \"some\""},
		{"fractional count budget", plus("rollout: {failure_budget: 1.5}"),
			"herd.yaml:9: rollout.failure_budget: want a count such as 2 or a percentage such as 10%, got \"1.5\""},
		{"budget as a list", plus("rollout: {failure_budget: [1]}"),
			"herd.yaml:9: rollout.failure_budget: want a count such as 2 or a percentage such as 10%, got a list"},

		// waves
		{"waves not a list", plus("rollout:", "  waves: {canary: [a]}"),
			"herd.yaml:10: rollout.waves: want a list of waves, got a mapping"},
		{"wave not a mapping", plus("rollout:", "  waves: [canary]"),
			"herd.yaml:10: rollout.waves[0]: want a mapping with name and tenants, tiers, sizes or percent, got a string"},
		{"wave without a name", plus("rollout:", "  waves:", "    - tenants: [a]", "    - name: rest"),
			"herd.yaml:11: rollout.waves[0]: name is required"},
		{"wave with an empty name", plus("rollout:", "  waves:", "    - {name: '', tenants: [a]}", "    - name: rest"),
			"herd.yaml:11: rollout.waves[0]: name must not be empty"},
		{"wave with a bad name", plus("rollout:", "  waves:", "    - {name: Canary Wave, tenants: [a]}", "    - name: rest"),
			"herd.yaml:11: rollout.waves[0]: wave name \"Canary Wave\": use only a-z, 0-9, _ and -"},
		{"duplicate wave name", plus("rollout:", "  waves:", "    - {name: one, tenants: [a]}", "    - {name: one, tiers: [b]}", "    - name: rest"),
			"herd.yaml:12: rollout.waves[1]: duplicate wave name \"one\" (first at line 11)"},
		{"unknown wave key", plus("rollout:", "  waves:", "    - name: canary", "      tenant: [a]"),
			"herd.yaml:12: rollout.waves[0]: unknown key \"tenant\" (known: name, tenants, tiers, sizes, percent, failure_budget, strategy)"},
		{"two selectors", plus("rollout:", "  waves:", "    - name: mixed", "      tenants: [a]", "      percent: 10"),
			"herd.yaml:11: rollout.waves.mixed: select tenants by one of tenants, tiers, sizes or percent, not by tenants and percent"},
		{"three selectors", plus("rollout:", "  waves:", "    - {name: all3, tenants: [a], tiers: [b], percent: 5}"),
			"herd.yaml:11: rollout.waves.all3: select tenants by one of tenants, tiers, sizes or percent, not by tenants and tiers and percent"},
		{"no selector before the last wave", plus("rollout:", "  waves:", "    - name: first", "    - {name: second, tiers: [b]}"),
			"herd.yaml:11: rollout.waves.first: only the last wave may leave out tenants, tiers, sizes and percent (such a wave takes every tenant left)"},
		{"empty tenants list", plus("rollout:", "  waves:", "    - {name: canary, tenants: []}"),
			"herd.yaml:11: rollout.waves.canary.tenants: list at least one tenant code, or leave the key out"},
		{"bad tenant code", plus("rollout:", "  waves:", "    - name: canary", "      tenants: [demo_trust, Test-Trust]"),
			"herd.yaml:12: rollout.waves.canary.tenants: tenant code \"Test-Trust\": use lower-case letters, digits and underscores only, starting with a letter or digit"},
		{"long tenant code", plus("rollout:", "  waves:", "    - {name: canary, tenants: ["+strings.Repeat("a", 49)+"]}"),
			"herd.yaml:11: rollout.waves.canary.tenants: tenant code \"" + strings.Repeat("a", 49) + "\" is 49 characters; the limit is 48"},
		{"duplicate tenant in a wave", plus("rollout:", "  waves:", "    - name: canary", "      tenants:", "        - a", "        - a"),
			"herd.yaml:14: rollout.waves.canary.tenants: duplicate tenant code \"a\""},
		{"tenant in two waves", plus("rollout:", "  waves:", "    - {name: one, tenants: [a, b]}", "    - name: two", "      tenants: [c, b]"),
			"herd.yaml:13: rollout.waves.two.tenants: tenant code \"b\" is already in wave \"one\""},
		{"tier in two waves", plus("rollout:", "  waves:", "    - {name: one, tiers: [premium]}", "    - {name: two, tiers: [premium]}"),
			"herd.yaml:12: rollout.waves.two.tiers: tier \"premium\" is already in wave \"one\""},
		{"tiers not a list", plus("rollout:", "  waves:", "    - {name: one, tiers: premium}"),
			"herd.yaml:11: rollout.waves.one.tiers: want a list such as [a, b], got a string"},
		{"tier that is a list", plus("rollout:", "  waves:", "    - {name: one, tiers: [[premium]]}"),
			"herd.yaml:11: rollout.waves.one.tiers: want a tier, got a list"},
		{"zero percent", plus("rollout:", "  waves:", "    - {name: none, percent: 0}"),
			"herd.yaml:11: rollout.waves.none.percent: want a percentage above 0 and at most 100, such as 25, got \"0\""},
		{"percent over 100", plus("rollout:", "  waves:", "    - {name: lots, percent: 101}"),
			"herd.yaml:11: rollout.waves.lots.percent: want a percentage above 0 and at most 100, such as 25, got \"101\""},
		{"percent as a word", plus("rollout:", "  waves:", "    - {name: q, percent: quarter}"),
			"herd.yaml:11: rollout.waves.q.percent: want a percentage above 0 and at most 100, such as 25, got \"quarter\""},
		{"bad wave budget", plus("rollout:", "  waves:", "    - name: q", "      percent: 25", "      failure_budget: lots"),
			"herd.yaml:13: rollout.waves.q.failure_budget: want a count such as 2 or a percentage such as 10%, got \"lots\""},

		// health_probes
		{"probes not a mapping", plus("health_probes: [a]"),
			"herd.yaml:9: health_probes: want a mapping with sql and http, got a list"},
		{"unknown probes key", plus("health_probes:", "  tcp: 5432"),
			"herd.yaml:10: health_probes: unknown key \"tcp\" (known: sql, http)"},
		{"sql probes not a list", plus("health_probes:", "  sql: SELECT 1"),
			"herd.yaml:10: health_probes.sql: want a list of probes with name and query, got a string"},
		{"sql probe not a mapping", plus("health_probes:", "  sql: [SELECT 1]"),
			"herd.yaml:10: health_probes.sql[0]: want a mapping with name and query, got a string"},
		{"sql probe without a name", plus("health_probes:", "  sql:", "    - query: SELECT true"),
			"herd.yaml:11: health_probes.sql[0]: name is required"},
		{"sql probe with a bad name", plus("health_probes:", "  sql:", "    - {name: Students OK, query: SELECT true}"),
			"herd.yaml:11: health_probes.sql[0]: probe name \"Students OK\": use only a-z, 0-9, _ and -"},
		{"sql probe without a query", plus("health_probes:", "  sql:", "    - name: up"),
			"herd.yaml:11: health_probes.sql.up: query is required"},
		{"sql probe with an empty query", plus("health_probes:", "  sql:", "    - name: up", "      query: '  '"),
			"herd.yaml:12: health_probes.sql.up: query must not be empty"},
		{"duplicate sql probe", plus("health_probes:", "  sql:", "    - {name: up, query: SELECT true}", "    - {name: up, query: SELECT 1 = 1}"),
			"herd.yaml:12: health_probes.sql[1]: duplicate probe name \"up\" (first at line 11)"},
		{"unknown sql probe key", plus("health_probes:", "  sql:", "    - {name: up, sql: SELECT true}"),
			"herd.yaml:11: health_probes.sql[0]: unknown key \"sql\" (known: name, query)\n" +
				"herd.yaml:11: health_probes.sql.up: query is required"},
		{"relative http probe", plus("health_probes:", "  http: /health/{code}"),
			"herd.yaml:10: health_probes.http: want an absolute http:// or https:// URL, such as http://127.0.0.1:8080/health/{code}"},
		{"tcp http probe", plus("health_probes:", "  http: tcp://app:8080/{code}"),
			"herd.yaml:10: health_probes.http: want an absolute http:// or https:// URL, such as http://127.0.0.1:8080/health/{code}"},
		{"http probe with a misspelt placeholder", plus("health_probes:", "  http: http://app:8080/health/{tenant}"),
			"herd.yaml:10: health_probes.http: only {code} may be written in braces"},
		{"http probe not a string", plus("health_probes:", "  http: [a]"),
			"herd.yaml:10: health_probes.http: want a string, got a list"},

		// maintenance_windows
		{"windows not a mapping", plus("maintenance_windows: [a]"),
			"herd.yaml:9: maintenance_windows: want a mapping with default, tiers and tenants, got a list"},
		{"unknown windows key", plus("maintenance_windows:", "  servers: {}"),
			"herd.yaml:10: maintenance_windows: unknown key \"servers\" (known: default, tiers, tenants)"},
		{"window not a mapping", plus("maintenance_windows:", "  default: nights"),
			"herd.yaml:10: maintenance_windows.default: want a mapping with days, hours and time_zone, got a string"},
		{"unknown window key", plus("maintenance_windows:", "  default: {hours: '01:00-02:00', zone: UTC}"),
			"herd.yaml:10: maintenance_windows.default: unknown key \"zone\" (known: days, hours, time_zone)"},
		{"window without hours", plus("maintenance_windows:", "  default:", "    days: [sun]"),
			"herd.yaml:11: maintenance_windows.default: hours is required, as in hours: \"22:00-02:00\""},
		{"unknown day", plus("maintenance_windows:", "  default:", "    days: [sun, sunday]", "    hours: 01:00-02:00"),
			"herd.yaml:11: maintenance_windows.default.days: unknown day \"sunday\" (want mon, tue, wed, thu, fri, sat or sun)"},
		{"capitalised day", plus("maintenance_windows:", "  default: {days: [Mon], hours: 01:00-02:00}"),
			"herd.yaml:10: maintenance_windows.default.days: unknown day \"Mon\" (want mon, tue, wed, thu, fri, sat or sun)"},
		{"duplicate day", plus("maintenance_windows:", "  default: {days: [sat, sat], hours: 01:00-02:00}"),
			"herd.yaml:10: maintenance_windows.default.days: duplicate day \"sat\""},
		{"no days", plus("maintenance_windows:", "  default: {days: [], hours: 01:00-02:00}"),
			"herd.yaml:10: maintenance_windows.default.days: list at least one day, or leave the key out for every day"},
		{"days not a list", plus("maintenance_windows:", "  default: {days: weekends, hours: 01:00-02:00}"),
			"herd.yaml:10: maintenance_windows.default.days: want a list such as [a, b], got a string"},
		{"hours without a dash", plus("maintenance_windows:", "  default: {hours: '01:00'}"),
			"herd.yaml:10: maintenance_windows.default: hours \"01:00\": want HH:MM-HH:MM, such as 22:00-02:00 (24:00 may end a window)"},
		{"hours past 24", plus("maintenance_windows:", "  default: {hours: '22:00-25:00'}"),
			"herd.yaml:10: maintenance_windows.default: hours \"22:00-25:00\": want HH:MM-HH:MM, such as 22:00-02:00 (24:00 may end a window)"},
		{"24:00 as a start", plus("maintenance_windows:", "  default: {hours: '24:00-02:00'}"),
			"herd.yaml:10: maintenance_windows.default: hours \"24:00-02:00\": want HH:MM-HH:MM, such as 22:00-02:00 (24:00 may end a window)"},
		{"24:30 as an end", plus("maintenance_windows:", "  default: {hours: '22:00-24:30'}"),
			"herd.yaml:10: maintenance_windows.default: hours \"22:00-24:30\": want HH:MM-HH:MM, such as 22:00-02:00 (24:00 may end a window)"},
		{"minutes past 59", plus("maintenance_windows:", "  default: {hours: '01:60-02:00'}"),
			"herd.yaml:10: maintenance_windows.default: hours \"01:60-02:00\": want HH:MM-HH:MM, such as 22:00-02:00 (24:00 may end a window)"},
		{"one-digit hour", plus("maintenance_windows:", "  default: {hours: '1:00-2:00'}"),
			"herd.yaml:10: maintenance_windows.default: hours \"1:00-2:00\": want HH:MM-HH:MM, such as 22:00-02:00 (24:00 may end a window)"},
		{"empty window", plus("maintenance_windows:", "  default: {hours: '02:00-02:00'}"),
			"herd.yaml:10: maintenance_windows.default: hours \"02:00-02:00\": the window opens and closes at the same time (for a whole day write 00:00-24:00)"},
		{"unknown time zone", plus("maintenance_windows:", "  tiers:", "    enterprise: {hours: 01:00-05:00, time_zone: Asia/Bangalore}"),
			"herd.yaml:11: maintenance_windows.tiers.enterprise: unknown time_zone \"Asia/Bangalore\" (want an IANA name such as Europe/London or UTC)"},
		{"local time zone", plus("maintenance_windows:", "  default: {hours: 01:00-05:00, time_zone: Local}"),
			"herd.yaml:10: maintenance_windows.default: time_zone Local depends on the machine; name the zone, such as Europe/London"},
		{"empty time zone", plus("maintenance_windows:", "  default: {hours: 01:00-05:00, time_zone: ''}"),
			"herd.yaml:10: maintenance_windows.default: time_zone must not be empty (leave it out for UTC)"},
		{"tiers not a mapping", plus("maintenance_windows:", "  tiers: [enterprise]"),
			"herd.yaml:10: maintenance_windows.tiers: want a mapping of names to windows, got a list"},
		{"bad tenant code in windows", plus("maintenance_windows:", "  tenants:", "    St-Marys: {hours: 22:00-02:00}"),
			"herd.yaml:11: maintenance_windows.tenants: tenant code \"St-Marys\": use lower-case letters, digits and underscores only, starting with a letter or digit"},
		{"duplicate tenant window", plus("maintenance_windows:", "  tenants:", "    a: {hours: 22:00-02:00}", "    a: {hours: 23:00-02:00}"),
			"herd.yaml:12: maintenance_windows.tenants: duplicate key \"a\" (first at line 11)"},

		// webhooks
		{"webhooks not a list", plus("webhooks: {url: 'http://h'}"),
			"herd.yaml:9: webhooks: want a list of webhooks with url, secret and events, got a mapping"},
		{"webhook not a mapping", plus("webhooks: ['http://h']"),
			"herd.yaml:9: webhooks[0]: want a mapping with url, secret and events, got a string"},
		{"unknown webhook key", plus("webhooks:", "  - url: http://h/x", "    secret: s", "    event: [tenant.done]"),
			"herd.yaml:12: webhooks[0]: unknown key \"event\" (known: url, secret, events)"},
		{"webhook without a url", plus("webhooks:", "  - secret: s"),
			"herd.yaml:10: webhooks[0]: url is required"},
		{"relative webhook url", plus("webhooks:", "  - {url: /herd, secret: s}"),
			"herd.yaml:10: webhooks[0].url: want an absolute http:// or https:// URL"},
		{"webhook url with another scheme", plus("webhooks:", "  - {url: 'ftp://h/herd', secret: s}"),
			"herd.yaml:10: webhooks[0].url: want an absolute http:// or https:// URL"},
		{"webhook url that does not parse", plus("webhooks:", "  - {url: 'http://h:port/herd', secret: s}"),
			"herd.yaml:10: webhooks[0].url: not a valid URL: want an absolute http:// or https:// URL"},
		{"unset variable in a webhook url", plus("webhooks:", "  - {url: 'https://h/${TOKEN}', secret: s}"),
			"herd.yaml:10: webhooks[0].url: environment variable TOKEN is not set"},
		{"webhook without a secret", plus("webhooks:", "  - url: http://h/herd"),
			"herd.yaml:10: webhooks[0]: secret is required: the key receivers check signatures with, as in ${HERD_WEBHOOK_SECRET}"},
		{"empty secret variable", plus("webhooks:", "  - url: http://h/herd", "    secret: ${EMPTY}"),
			"herd.yaml:11: webhooks[0].secret: must not be empty"},
		{"secret not a string", plus("webhooks:", "  - url: http://h/herd", "    secret: [a]"),
			"herd.yaml:11: webhooks[0].secret: want a string, got a list"},
		{"unknown event", plus("webhooks:", "  - url: http://h/herd", "    secret: s", "    events: [tenant.done, tenant.finished]"),
			"herd.yaml:12: webhooks[0].events: unknown event type \"tenant.finished\" (known: rollout.started, wave.started, " +
				"tenant.started, tenant.migrated, tenant.done, tenant.failed, tenant.skipped, tenant.rolled_back, tenant.maintenance_planned, " +
				"rollout.halted, rollout.paused, rollout.completed, rollout.completed_with_failures)"},
		{"duplicate event", plus("webhooks:", "  - url: http://h/herd", "    secret: s", "    events: [tenant.done, tenant.done]"),
			"herd.yaml:12: webhooks[0].events: duplicate event type \"tenant.done\""},
		{"no events", plus("webhooks:", "  - url: http://h/herd", "    secret: s", "    events: []"),
			"herd.yaml:12: webhooks[0].events: list at least one event type, or leave the key out for every event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.ParseEnv(yml(tt.lines...), "", env)
			require.Error(t, err)
			require.Nil(t, cfg)
			require.Equal(t, tt.want, err.Error())
		})
	}
}

// A webhook secret's environment variable is needed only by the commands
// that send webhooks: reading herd.yaml succeeds without it, and
// CheckWebhooks names it at its line.
func TestWebhookSecretVariableNeededLater(t *testing.T) {
	t.Parallel()
	lines := plus("webhooks:", "  - url: http://h/herd", "    secret: ${HOOK_SECRET}", "  - url: http://h/other", "    secret: s")
	cfg, err := config.ParseEnv(yml(lines...), "", map[string]string{})
	require.NoError(t, err)
	require.EqualError(t, cfg.CheckWebhooks(),
		"herd.yaml:11: webhooks[0].secret: environment variable HOOK_SECRET is not set (commands that send webhooks need it)")

	cfg, err = config.ParseEnv(yml(lines...), "", map[string]string{"HOOK_SECRET": "s3cret"})
	require.NoError(t, err)
	require.NoError(t, cfg.CheckWebhooks())
	require.Equal(t, "s3cret", cfg.Webhooks[0].Secret)

	_, err = config.ParseEnv(yml(plus("webhooks:", "  - url: http://h/herd", "    secret: ${HOOK SECRET}")...), "", map[string]string{})
	require.ErrorContains(t, err, "webhooks[0].secret: invalid environment variable name", "a malformed reference is still the file's problem")
}

// TestWebhookSecretsNeverShown checks that neither problems nor fmt show a
// webhook's secret, or a token in its URL.
func TestWebhookSecretsNeverShown(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-sentinel"
	env := map[string]string{"SECRET": secret, "URL": "ftp://u:" + secret + "@h/" + secret}
	for i, lines := range [][]string{
		plus("webhooks:", "  - {url: '${URL}', secret: '${SECRET}'}"),
		plus("webhooks:", "  - {url: 'http://h:"+secret+"/x', secret: s}"),
		plus("webhooks:", "  - {url: 'http://h/x', secret: '${SECRET}', events: [nope]}"),
		plus("webhooks:", "  - {url: 'http://h/x', secret: '${SECRET}', colour: blue}"),
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			_, err := config.ParseEnv(yml(lines...), "", env)
			require.Error(t, err)
			require.NotContains(t, err.Error(), secret)
			require.NotContains(t, err.Error(), "3cr3t")
		})
	}

	cfg, err := config.ParseEnv(yml(plus("webhooks:", "  - {url: 'https://h.example/"+secret+"', secret: '${SECRET}'}")...), "", env)
	require.NoError(t, err)
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(format, cfg.Webhooks)
		require.NotContains(t, out, secret, format)
		require.Contains(t, out, "https://h.example/…", format)
	}
	require.NotContains(t, fmt.Sprintf("%+v", *cfg), secret)
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"https://h.example":               "https://h.example",
		"https://h.example/":              "https://h.example",
		"http://127.0.0.1:9999/herd":      "http://127.0.0.1:9999/…",
		"https://u:pw@h.example":          "https://h.example/…",
		"https://h.example?token=abc":     "https://h.example/…",
		"/relative":                       "(invalid URL)",
		"http://h:port/x":                 "(invalid URL)",
		"https://hooks.example.com/T/B/X": "https://hooks.example.com/…",
	}
	for in, want := range tests {
		require.Equal(t, want, config.RedactURL(in), in)
	}
}

func TestBudget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		budget   config.Budget
		failures int
		size     int
		exceeded bool
		text     string
	}{
		{"zero budget, no failure", config.Budget{}, 0, 10, false, "0"},
		{"zero budget, first failure", config.Budget{}, 1, 10, true, "0"},
		{"count at the limit", config.Budget{Count: 2}, 2, 10, false, "2"},
		{"count over the limit", config.Budget{Count: 2}, 3, 10, true, "2"},
		{"percent at the limit", config.Budget{Percent: 10}, 1, 10, false, "10%"},
		{"percent over the limit", config.Budget{Percent: 10}, 2, 10, true, "10%"},
		{"percent of a small wave", config.Budget{Percent: 10}, 1, 5, true, "10%"},
		{"fractional percent", config.Budget{Percent: 2.5}, 1, 40, false, "2.5%"},
		{"fractional percent over", config.Budget{Percent: 2.5}, 2, 40, true, "2.5%"},
		{"whole wave", config.Budget{Percent: 100}, 7, 7, false, "100%"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.exceeded, tt.budget.Exceeded(tt.failures, tt.size))
			require.Equal(t, tt.text, tt.budget.String())
		})
	}
}

func TestEventTypesAreKnown(t *testing.T) {
	t.Parallel()
	seen := map[event.Type]bool{}
	for _, typ := range config.EventTypes() {
		require.False(t, seen[typ], typ)
		seen[typ] = true
		require.Regexp(t, `^[a-z]+\.[a-z_]+$`, string(typ))
	}
	require.Len(t, seen, 13)
}
