package cli

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/schedule"
)

// What each interrupt does: with a graceful stop asked for, the first
// closes it and the second cancels; without, the first cancels.
func TestInterrupts(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		graceful             bool
		signals              int
		wantStop, wantCancel bool
	}{
		{name: "no graceful stop: the first cancels", signals: 1, wantCancel: true},
		{name: "graceful: the first stops", graceful: true, signals: 1, wantStop: true},
		{name: "graceful: the second cancels", graceful: true, signals: 2, wantStop: true, wantCancel: true},
		{name: "graceful, no signal", graceful: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var stderr bytes.Buffer
			in := &interrupts{cancel: cancel, stderr: &stderr}
			stopCtx := ctx
			if tc.graceful {
				stopCtx = in.graceful(ctx)
			}
			sigs, done := make(chan os.Signal), make(chan struct{})
			watching := make(chan struct{})
			go func() { in.watch(sigs, done); close(watching) }()
			for range tc.signals {
				sigs <- os.Interrupt // unbuffered: the previous one was taken in
			}
			close(done)
			<-watching

			require.Equal(t, tc.wantStop, schedule.Stopping(stopCtx), "graceful stop")
			require.Equal(t, tc.wantCancel, ctx.Err() != nil, "cancelled")
			require.Equal(t, tc.wantStop, bytes.Contains(stderr.Bytes(), []byte("interrupt again to stop at once")))
		})
	}
}
