package herd

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/execute"
)

// TenantSize is a tenant's size as herd analyze last measured it, with
// its tables where read one tenant at a time.
type TenantSize = control.Size

// TableSize is one table of a TenantSize.
type TableSize = control.TableSize

// SizeClass is a tenant's size class by herd.yaml's large_tenants:
// SizeLarge, SizeSmall, or SizeUnknown before its first analysis.
type SizeClass = config.SizeClass

// The size classes.
const (
	SizeLarge   = config.SizeLarge
	SizeSmall   = config.SizeSmall
	SizeUnknown = config.SizeUnknown
)

// herdTables are herd's own tables in a tenant database, which its size
// leaves out.
var herdTables = []string{execute.DefaultLedgerTable, execute.DefaultOwnerTable}

// Analyze measures tenant code's tables from its engine's statistics
// (see dialect.Sizer), records the result in the control database, and
// returns it. An unknown tenant is an input error; an engine that cannot
// measure its tables is an error naming it. It sends AnalysisDone or
// AnalysisFailed to Options.Events.
func (f *Fleet) Analyze(ctx context.Context, code string) (TenantSize, error) {
	t, err := f.control.Tenant(ctx, code)
	if err != nil {
		return TenantSize{}, err
	}
	return f.analyze(ctx, t)
}

func (f *Fleet) analyze(ctx context.Context, t control.Tenant) (TenantSize, error) {
	ref := control.TenantRef(t.Code)
	start := f.opts.Now()
	sz, err := f.measure(ctx, t)
	if err == nil {
		err = f.control.SetSize(ctx, sz)
	}
	if err != nil {
		f.emit(ref, event.Event{Type: event.AnalysisFailed, Time: f.opts.Now(), Reason: err.Error()})
		return TenantSize{}, fmt.Errorf("analyze tenant %q: %w", t.Code, err)
	}
	f.emit(ref, event.Event{Type: event.AnalysisDone, Time: sz.AnalyzedAt, Rows: sz.Rows, Bytes: sz.Bytes,
		Duration: f.opts.Now().Sub(start)})
	return sz, nil
}

// measure reads the sizes of tenant t's tables, herd's own left out, and
// totals them.
func (f *Fleet) measure(ctx context.Context, t control.Tenant) (TenantSize, error) {
	srv, ok := f.servers[t.Server]
	if !ok {
		return TenantSize{}, &InputError{Err: fmt.Errorf("tenant %q is on server %q, which herd.yaml does not declare", t.Code, t.Server)}
	}
	sizer, ok := srv.dialect.(dialect.Sizer)
	if !ok {
		return TenantSize{}, fmt.Errorf("%s cannot measure the size of a database", srv.dialect.Name())
	}
	db, err := srv.Open(ctx, t.Database)
	if err != nil {
		return TenantSize{}, err
	}
	defer f.warn(control.TenantRef(t.Code), "close the connection", db.Close)
	tables, err := sizer.TableSizes(ctx, db.DB, db)
	if err != nil {
		return TenantSize{}, err
	}
	// To the microsecond, as every engine's control database keeps it.
	sz := TenantSize{Tenant: t.Code, AnalyzedAt: f.opts.Now().UTC().Truncate(time.Microsecond), Tables: []TableSize{}}
	for _, ts := range tables {
		if slices.Contains(herdTables, ts.Table) {
			continue
		}
		sz.Tables = append(sz.Tables, TableSize{Table: ts.Table, Rows: ts.Rows, Bytes: ts.Bytes,
			RowsEstimated: ts.RowsEstimated, BytesEstimated: ts.BytesEstimated})
		sz.Rows += ts.Rows
		sz.Bytes += ts.Bytes
		sz.RowsEstimated = sz.RowsEstimated || ts.RowsEstimated
		sz.BytesEstimated = sz.BytesEstimated || ts.BytesEstimated
	}
	return sz, nil
}

// AnalyzeTenants analyses the tenants sel names (see Analyze), at most
// concurrency at a time (1 when less than 1) and, where herd.yaml caps the
// tenants of one server below the rollout concurrency (rollout.per_server),
// at most that many on one server. It returns the sizes it recorded, by
// tenant code, and does not stop at a tenant's failure: the returned
// *TenantsError lists every failure. A selector that does not parse or
// matches no tenant (unless sel.AllowEmpty) is an input error. When ctx's
// graceful stop is requested (WithStop) it starts no other tenant, waits
// for those in flight, and returns an error wrapping ErrStopped unless a
// tenant failed.
func (f *Fleet) AnalyzeTenants(ctx context.Context, sel Selection, concurrency int) ([]TenantSize, error) {
	tenants, err := f.selectTenants(ctx, sel)
	if err != nil {
		return nil, err
	}
	return eachTenant(ctx, f, tenants, concurrency, f.analyze, func(sz TenantSize) string { return sz.Tenant },
		"analysed; analyze again to carry on")
}

// Size returns tenant code's size as its last analysis recorded it, with
// its tables, and its size class; ok is false when it was never analysed
// (its class is then SizeUnknown). An unknown tenant is an input error.
func (f *Fleet) Size(ctx context.Context, code string) (sz TenantSize, class SizeClass, ok bool, err error) {
	if _, err := f.control.Tenant(ctx, code); err != nil {
		return TenantSize{}, "", false, err
	}
	sz, ok, err = f.control.Size(ctx, code)
	if err != nil {
		return TenantSize{}, "", false, err
	}
	return sz, f.cfg.LargeTenants.Class(sz.Rows, sz.Bytes, ok), ok, nil
}

// SizeClass returns the size class of a tenant of size sz by herd.yaml's
// large_tenants.
func (f *Fleet) SizeClass(sz TenantSize) SizeClass {
	return f.cfg.LargeTenants.Class(sz.Rows, sz.Bytes, true)
}
