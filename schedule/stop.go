package schedule

import "context"

// stopKey is the context key of a graceful stop.
type stopKey struct{}

// WithStop returns a copy of ctx that carries a graceful stop, and the
// function that requests it. Once stop is called, herd starts no new work
// under the returned context (no tenant is handed to a worker, no rollout
// tenant claimed) and lets the work in flight finish and be recorded;
// cancelling ctx instead ends everything at once. Calling stop again does
// nothing.
func WithStop(ctx context.Context) (context.Context, context.CancelFunc) {
	stop, cancel := context.WithCancel(context.Background())
	return context.WithValue(ctx, stopKey{}, stop), cancel
}

// Stopped returns a channel closed once ctx's graceful stop is requested;
// nil (never closed) when ctx carries none.
func Stopped(ctx context.Context) <-chan struct{} {
	if stop, ok := ctx.Value(stopKey{}).(context.Context); ok {
		return stop.Done()
	}
	return nil
}

// Stopping reports whether ctx's graceful stop was requested.
func Stopping(ctx context.Context) bool {
	select {
	case <-Stopped(ctx):
		return true
	default:
		return false
	}
}
