package herd

import (
	"context"
	"time"
)

// keepAlive calls renew every interval, with a context that ends when the
// returned stop is called (stop waits for renew to return), whatever
// becomes of ctx: it keeps a record of work in progress alive (a shadow
// migration's phase and freeze, an emergency rollback).
func keepAlive(ctx context.Context, interval time.Duration, renew func(context.Context)) (stop func()) {
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-hctx.Done():
				return
			case <-tick.C:
				renew(hctx)
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
