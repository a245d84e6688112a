package cli

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/event"
)

// The run's one event stream feeds migrate's progress lines (finished
// migrations, lock retries, chunked progress and throttle waits) and rollout --json (fleet
// events and chunked progress).
func TestRenderingFromTheEventStream(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	stream := []event.Event{
		{Type: event.RolloutStarted, Time: at, Rollout: 1, To: "1.1.0"},
		{Type: event.MigrationStarted, Time: at, Database: `tenant "acme"`, Tenant: "acme", Migration: "v1.1.0/002_u", Direction: "up"},
		{Type: event.StatementStarted, Time: at, Database: `tenant "acme"`, Tenant: "acme", Migration: "v1.1.0/002_u", Direction: "up", Statement: 1},
		{Type: event.LockRetry, Time: at, Database: `tenant "acme"`, Tenant: "acme", Migration: "v1.1.0/002_u", Direction: "up",
			Duration: 500 * time.Millisecond, Reason: "try 1 of 4 gave up on a lock after 1s; retrying in 500ms"},
		{Type: event.ChunkThrottled, Time: at, Database: `tenant "acme"`, Migration: "v1.1.0/002_u", Direction: "up",
			Throttle: &event.Throttle{Server: "main", Value: 12.5, Max: 5, Waited: 1500 * time.Millisecond}},
		{Type: event.Chunk, Time: at, Database: `tenant "acme"`, Migration: "v1.1.0/002_u", Direction: "up",
			Chunk: &event.ChunkProgress{Table: "t", Key: "id", From: "10", To: "20", Rows: 20, Ranges: 2, Size: 10, Throttled: 2 * time.Second, Done: true}},
		{Type: event.MigrationDone, Time: at, Database: `tenant "acme"`, Tenant: "acme", Migration: "v1.1.0/002_u", Direction: "up", Duration: 12 * time.Millisecond},
		{Type: event.MigrationFailed, Time: at, Database: "system", Migration: "v1.1.0/001_s", Direction: "down", Duration: 3 * time.Millisecond, Reason: "boom"},
		{Type: event.SnapshotTaken, Time: at, Database: `tenant "acme"`, Tenant: "acme", Snapshot: "herd_snap_1", To: "1.0.0"},
		{Type: event.TenantDone, Time: at, Rollout: 1, Wave: "all", Tenant: "acme", From: "1.0.0", To: "1.1.0"},
	}
	t.Run("migrate progress", func(t *testing.T) {
		t.Parallel()
		var out bytes.Buffer
		a := &app{out: &out}
		sink := a.progress()
		for _, e := range stream {
			sink.Send(e)
		}
		require.Equal(t, "tenant \"acme\": v1.1.0/002_u up: try 1 of 4 gave up on a lock after 1s; retrying in 500ms\n"+
			"tenant \"acme\": v1.1.0/002_u throttled: server main's probe reads 12.5, over max 5 (waited 1.5s so far)\n"+
			"tenant \"acme\": v1.1.0/002_u chunked done: 20 rows, id up to 20 (2 ranges this run, next size 10, throttled 2s)\n"+
			"tenant \"acme\": v1.1.0/002_u up ok (12ms)\nsystem: v1.1.0/001_s down FAILED (3ms)\n", out.String())
	})
	t.Run("rollout --json", func(t *testing.T) {
		t.Parallel()
		var out bytes.Buffer
		r := &renderer{w: &out, mode: "json"}
		for _, e := range stream {
			r.Send(e)
		}
		require.Equal(t, `{"type":"rollout.started","time":"2026-12-06T10:00:00Z","rollout":1,"to":"1.1.0"}
{"type":"chunk.throttled","time":"2026-12-06T10:00:00Z","database":"tenant \"acme\"","migration":"v1.1.0/002_u","direction":"up","throttle":{"server":"main","value":12.5,"max":5,"waited_ns":1500000000}}
{"type":"chunk.progress","time":"2026-12-06T10:00:00Z","database":"tenant \"acme\"","migration":"v1.1.0/002_u","direction":"up","chunk":{"table":"t","key":"id","from":"10","to":"20","rows":20,"ranges":2,"size":10,"throttled_ns":2000000000,"done":true}}
{"type":"tenant.done","time":"2026-12-06T10:00:00Z","rollout":1,"wave":"all","tenant":"acme","from":"1.0.0","to":"1.1.0"}
`, out.String())
	})
}
