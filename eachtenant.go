package herd

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/schedule"
)

// eachTenant runs work on every tenant, at most concurrency at a time (1
// when less than 1) and at most rollout.per_server on one server, and
// returns what it returned for those that succeeded, ordered by tenant
// code (code reads it from a result). It does not stop at a tenant's
// failure: the returned *TenantsError lists every failure. When ctx's
// graceful stop is requested (WithStop) it starts no other tenant, waits
// for those in flight, and returns an error wrapping ErrStopped unless a
// tenant failed, saying that the tenants left were not done (undone:
// "analysed; analyze again to carry on").
func eachTenant[T any](ctx context.Context, f *Fleet, tenants []control.Tenant, concurrency int,
	work func(context.Context, control.Tenant) (T, error), code func(T) string, undone string) ([]T, error) {
	var (
		mu   sync.Mutex
		done []T
		errs []error
	)
	pool := schedule.Pool[control.Tenant]{
		Limits: schedule.Limits{Concurrency: concurrency, PerServer: f.perServer()},
		Server: func(t control.Tenant) string { return t.Server },
		Work: func(ctx context.Context, t control.Tenant) {
			v, err := work(ctx, t)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			done = append(done, v)
		},
	}
	left := pool.Run(ctx, tenants)
	slices.SortFunc(done, func(a, b T) int { return cmp.Compare(code(a), code(b)) })
	var err error
	if len(errs) > 0 {
		err = tenantsError(errs, len(tenants), len(tenants)-len(left), false)
	}
	if len(left) > 0 {
		note := fmt.Errorf("%d of %d tenants not %s", len(left), len(tenants), undone)
		if err == nil {
			return done, fmt.Errorf("%w: %w", ErrStopped, note)
		}
		err = errors.Join(err, fmt.Errorf("stopped on request: %w", note))
	}
	return done, err
}
