package retry

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"
)

// Policy bounds the retries. The zero Policy tries once.
type Policy struct {
	// Within is how long after the first failure a new attempt may start.
	Within time.Duration
	// First is the wait after the first failure; each later wait doubles,
	// up to a tenth of Within (at least First). Default 100ms.
	First time.Duration
	// Retryable decides whether an error is worth another attempt; default
	// every error but the end of the context.
	Retryable func(error) bool
	// Notify, if set, hears of each failure that will be retried, with the
	// wait before the next attempt.
	Notify func(err error, wait time.Duration)
}

// Logged is the policy herd rides out a lost connection with: attempts
// for within, the first wait 200ms, and each failure it rides out logged
// as a warning that what failed, with attrs.
func Logged(logger *slog.Logger, within time.Duration, what string, attrs ...any) Policy {
	return Policy{Within: within, First: 200 * time.Millisecond, Notify: func(err error, wait time.Duration) {
		logger.Warn(what+" failed; trying again", slices.Concat(attrs, []any{"in", wait, "err", err})...)
	}}
}

// Do calls op until it returns nil, an error the policy does not retry, or
// Within has passed since the first failure; it returns op's last error,
// or ctx's when ctx ends while it waits.
func Do(ctx context.Context, p Policy, op func(context.Context) error) error {
	wait := p.First
	if wait <= 0 {
		wait = 100 * time.Millisecond
	}
	maxWait := max(p.Within/10, wait)
	var deadline time.Time
	for {
		err := op(ctx)
		if err == nil || !p.retryable(err) {
			return err
		}
		now := time.Now()
		if deadline.IsZero() {
			deadline = now.Add(p.Within)
		}
		if !now.Add(wait).Before(deadline) {
			return err
		}
		if p.Notify != nil {
			p.Notify(err, wait)
		}
		if serr := Sleep(ctx, wait); serr != nil {
			return errors.Join(err, serr)
		}
		wait = min(2*wait, maxWait)
	}
}

func (p Policy) retryable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	return p.Retryable == nil || p.Retryable(err)
}

// Sleep waits d, or until ctx ends, and then returns ctx's error.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
