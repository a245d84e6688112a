package retry_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/internal/retry"
)

func TestDo(t *testing.T) {
	t.Parallel()
	blip := errors.New("connection reset")
	fatal := errors.New("syntax error")
	tests := []struct {
		name      string
		policy    retry.Policy
		failures  []error // what the attempts return before succeeding
		wantErr   error
		wantCalls int
	}{
		{name: "first attempt succeeds", policy: retry.Policy{Within: time.Second}, wantCalls: 1},
		{name: "a blip is ridden out", policy: retry.Policy{Within: time.Second, First: time.Millisecond},
			failures: []error{blip, blip, blip}, wantCalls: 4},
		{name: "the zero policy tries once", failures: []error{blip}, wantErr: blip, wantCalls: 1},
		{name: "an error not retryable ends at once",
			policy:   retry.Policy{Within: time.Second, First: time.Millisecond, Retryable: func(err error) bool { return err == blip }},
			failures: []error{blip, fatal}, wantErr: fatal, wantCalls: 2},
		{name: "the end of the context is never retried", policy: retry.Policy{Within: time.Second, First: time.Millisecond},
			failures: []error{context.Canceled}, wantErr: context.Canceled, wantCalls: 1},
		{name: "gives up once Within has passed", policy: retry.Policy{Within: 30 * time.Millisecond, First: 10 * time.Millisecond},
			failures: []error{blip, blip, blip, blip, blip, blip, blip, blip, blip, blip}, wantErr: blip},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			calls, notified := 0, 0
			tt.policy.Notify = func(error, time.Duration) { notified++ }
			err := retry.Do(context.Background(), tt.policy, func(context.Context) error {
				calls++
				if calls <= len(tt.failures) {
					return tt.failures[calls-1]
				}
				return nil
			})
			require.ErrorIs(t, err, tt.wantErr)
			if tt.wantErr == nil {
				require.NoError(t, err)
			}
			if tt.wantCalls > 0 {
				require.Equal(t, tt.wantCalls, calls)
			} else {
				require.Less(t, calls, len(tt.failures), "it should have given up")
			}
			require.Equal(t, calls-1, notified, "every failure but the last is notified")
		})
	}
}

func TestDoStopsWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	blip := errors.New("connection refused")
	err := retry.Do(ctx, retry.Policy{Within: time.Hour, First: time.Minute}, func(context.Context) error {
		cancel()
		return blip
	})
	require.ErrorIs(t, err, blip)
	require.ErrorIs(t, err, context.Canceled)
}
