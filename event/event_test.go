package event_test

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/event"
)

func TestTypes(t *testing.T) {
	t.Parallel()
	seen := map[event.Type]bool{}
	fleet := 0
	for _, typ := range event.Types() {
		require.False(t, seen[typ], "%s is listed twice", typ)
		seen[typ] = true
		require.Regexp(t, regexp.MustCompile(`^[a-z]+\.[a-z_]+$`), string(typ))
		if !typ.Step() {
			require.Zero(t, len(seen)-1-fleet, "%s: the fleet events come first", typ)
			fleet++
		}
	}
	require.Equal(t, 13, fleet, "the fleet events webhooks subscribe to")
	for _, typ := range []event.Type{event.MigrationStarted, event.StatementStarted, event.MigrationDone,
		event.MigrationFailed, event.SnapshotTaken, event.SnapshotRestored, event.AnalysisDone, event.AnalysisFailed} {
		require.True(t, typ.Step(), typ)
		require.True(t, seen[typ], "%s is listed", typ)
	}
}

// A fleet event's JSON, the line of herd rollout --json and a webhook's
// body, leaves the step fields out.
func TestFleetEventJSON(t *testing.T) {
	t.Parallel()
	e := event.Event{Type: event.TenantDone, Time: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC), Rollout: 3, Wave: "canary",
		Tenant: "acme", From: "1.0.0", To: "1.1.0"}
	b, err := json.Marshal(e)
	require.NoError(t, err)
	require.Equal(t, `{"type":"tenant.done","time":"2026-12-06T10:00:00Z","rollout":3,"wave":"canary","tenant":"acme","from":"1.0.0","to":"1.1.0"}`, string(b))
}

func TestFanout(t *testing.T) {
	t.Parallel()
	var got []string
	sink := func(name string) event.Sink {
		return event.SinkFunc(func(e event.Event) { got = append(got, name+":"+string(e.Type)) })
	}
	event.Fanout{sink("a"), nil, sink("b")}.Send(event.Event{Type: event.WaveStarted})
	require.Equal(t, []string{"a:wave.started", "b:wave.started"}, got)
}
