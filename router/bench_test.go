package router_test

import (
	"testing"

	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/router"
)

// benchRouter is a router on a SQLite fleet of three tenants (see setup),
// refreshed by hand only. The calls it measures read memory only, so the
// engine and the fleet's size do not matter to them.
func benchRouter(b *testing.B) (*bundle, *router.Router) {
	b.Helper()
	bundle := setup(b, herdtest.Engines()[0])
	return bundle, bundle.open(b, -1, nil)
}

// BenchmarkResolve resolves a tenant to its target.
func BenchmarkResolve(b *testing.B) {
	bundle, r := benchRouter(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Resolve(bundle.ctx, "alpha"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEnabled evaluates a flag for a tenant on the percentage path
// (the flag's gate passes and the bucket is hashed).
func BenchmarkEnabled(b *testing.B) {
	bundle, r := benchRouter(b)
	b.ReportAllocs()
	for b.Loop() {
		if on, err := r.Enabled(bundle.ctx, "enhanced_fees", "beta"); err != nil || !on {
			b.Fatal(on, err)
		}
	}
}

// BenchmarkEvaluate is BenchmarkEnabled with the whole flags.Result.
func BenchmarkEvaluate(b *testing.B) {
	bundle, r := benchRouter(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Evaluate(bundle.ctx, "enhanced_fees", "beta"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEnabledParallel is BenchmarkEnabled from every CPU at once:
// reads share the snapshot without a lock.
func BenchmarkEnabledParallel(b *testing.B) {
	bundle, r := benchRouter(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if on, err := r.Enabled(bundle.ctx, "enhanced_fees", "beta"); err != nil || !on {
				b.Fatal(on, err)
			}
		}
	})
}
