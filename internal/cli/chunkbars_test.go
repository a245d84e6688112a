package cli

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/vbauerster/mpb/v8"

	"github.com/herdhq/herd/event"
)

// A chunked migration's bar shows its share of the key's span, its rows
// and their rate, and completes on the last event; one that does not
// finish is left drawn where it stopped.
func TestChunkBars(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	p := mpb.New(mpb.WithOutput(&out), mpb.WithWidth(120), mpb.WithAutoRefresh())
	bars := newChunkBars(p)
	at := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	chunk := func(db string, sec int, rows int64, share float64, done bool) event.Event {
		return event.Event{Type: event.Chunk, Time: at.Add(time.Duration(sec) * time.Second), Database: db,
			Migration: "v2.0.0/008_backfill", Chunk: &event.ChunkProgress{Table: "students", Key: "id", Rows: rows, Share: share, Done: done}}
	}
	for _, e := range []event.Event{
		chunk(`tenant "big"`, 0, 100_000, 0.1, false),
		chunk(`tenant "stuck"`, 0, 5_000, 0.05, false),
		chunk(`tenant "big"`, 2, 300_000, 0.3, false),
		chunk(`tenant "big"`, 4, 1_000_000, 1, true),
	} {
		bars.update(e)
	}
	require.Len(t, bars.bars, 1, "the finished bar is let go")
	bars.abort()
	p.Wait()
	text := out.String()
	require.Contains(t, text, `tenant "big" students`)
	require.Contains(t, text, "1000000 rows, 225000 rows/s", "rows since the bar's first event over the time since")
	require.Contains(t, text, "100 %")
	require.Contains(t, text, `tenant "stuck"`)
	require.Contains(t, text, "5 %")
}
