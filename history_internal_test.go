package herd

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/internal/herdtest"
)

// A control database that fails costs a chunked walk one failed write of
// its progress, not one a range: after a failure no write is tried for
// progressBackoff; once the backoff is over, writes go on.
func TestProgressRecorderBacksOff(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e := herdtest.Engines()[0]
	scratch := e.NewFleet(t, fstest.MapFS{})
	store := scratch.Control(t)
	srv, err := dialect.Named(herdtest.Dialects(), e.Name).OpenServer(ctx, dialect.ServerConfig{Name: "control", DSN: scratch.ControlDSN})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	db, err := srv.Control(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	exec := func(q string) {
		t.Helper()
		_, err := db.DB.ExecContext(ctx, q)
		require.NoError(t, err)
	}

	var log bytes.Buffer
	r := &progressRecorder{store: store, ref: control.TenantRef("alpha"), now: time.Now,
		log: slog.New(slog.NewTextHandler(&log, nil))}
	p := event.ChunkProgress{Table: "t", To: "10", Rows: 10}
	exec("ALTER TABLE herd_chunk_progress RENAME TO herd_chunk_progress_away")
	r.ChunkProgress(ctx, "v1.1.0/002_touch", p)
	r.ChunkProgress(ctx, "v1.1.0/002_touch", p)
	require.Equal(t, 1, strings.Count(log.String(), "record a chunked migration's progress failed"), "the second write is not tried:\n%s", log.String())

	exec("ALTER TABLE herd_chunk_progress_away RENAME TO herd_chunk_progress")
	r.failedAt = time.Now().Add(-progressBackoff)
	r.ChunkProgress(ctx, "v1.1.0/002_touch", p)
	require.True(t, r.failedAt.IsZero(), "the write after the backoff succeeded")
	var n int
	require.NoError(t, db.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM herd_chunk_progress").Scan(&n))
	require.Equal(t, 1, n)
}
