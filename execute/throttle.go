package execute

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/internal/retry"
	"github.com/herdhq/herd/plan"
)

// Throttle is a server's throttle probe: a query returning one number
// (replica lag in seconds, say) that a chunked migration reads before each
// range, and waits on while it is over Max.
type Throttle struct {
	// Server names the server the probe belongs to, for errors and events.
	Server string
	// Query returns one row of one numeric column. It runs on the
	// session's own connection, outside any transaction.
	Query string
	// Max is the greatest value at which ranges go on.
	Max float64
	// Interval is how long herd waits before it probes again; default
	// DefaultThrottleInterval.
	Interval time.Duration
}

// DefaultThrottleInterval is how long a throttled migration waits between
// two probes when Throttle.Interval is zero.
const DefaultThrottleInterval = time.Second

// ErrThrottleProbe marks a throttle probe whose query failed or did not
// return a number: the migration fails rather than run unthrottled.
var ErrThrottleProbe = errors.New("throttle probe failed")

// read runs the probe's query on q and returns its value.
func (t *Throttle) read(ctx context.Context, q dialect.RowQuerier) (float64, error) {
	var v sql.NullFloat64
	err := q.QueryRowContext(ctx, t.Query).Scan(&v)
	if err == nil && !v.Valid {
		err = errors.New("it returned NULL, not a number")
	}
	if err != nil {
		return 0, fmt.Errorf("%w: server %q, query %q: %w", ErrThrottleProbe, t.Server, t.Query, err)
	}
	return v.Float64, nil
}

// interval is Interval with its default applied.
func (t *Throttle) interval() time.Duration {
	if t.Interval > 0 {
		return t.Interval
	}
	return DefaultThrottleInterval
}

// throttle waits while the session's throttle probe, if it has one, reads
// over its maximum, probing again every interval, and adds the wait to the
// run's throttled time. It emits a ChunkThrottled event at most once a
// second while it waits. A probe that fails ends the wait with its error,
// as does ctx.
func (p *progress) throttle(ctx context.Context) error {
	t := p.s.e.throttle
	if t == nil {
		return nil
	}
	began := p.s.e.now()
	defer func() { p.throttled += p.s.e.now().Sub(began) }()
	for {
		v, err := t.read(ctx, p.s.conn)
		if err != nil || v <= t.Max {
			return err
		}
		if now := p.s.e.now(); p.throttleSent.IsZero() || now.Sub(p.throttleSent) >= time.Second {
			p.throttleSent = now
			p.emitThrottled(t, v, now.Sub(began))
		}
		if err := retry.Sleep(ctx, t.interval()); err != nil {
			return err
		}
	}
}

// emitThrottled emits a ChunkThrottled event: the probe read v, and the
// wait has lasted waited.
func (p *progress) emitThrottled(t *Throttle, v float64, waited time.Duration) {
	if p.s.e.events == nil {
		return
	}
	p.s.e.events.Send(event.Event{Type: event.ChunkThrottled, Time: p.s.e.now().UTC(), Database: p.s.db.Name,
		Migration: p.step.Migration.ID(), Direction: string(plan.Up),
		Throttle: &event.Throttle{Server: t.Server, Value: v, Max: t.Max, Waited: waited}})
}
