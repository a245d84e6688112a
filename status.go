package herd

import (
	"context"
	"fmt"
	"time"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/source"
)

// StatusRow is one database in the fleet's status: where it stands in the
// control database.
type StatusRow struct {
	Type           string `json:"type"`
	Identifier     string `json:"identifier"`
	CurrentVersion string `json:"current_version"`
	TargetVersion  string `json:"target_version"`
	Status         string `json:"status"`
	LastError      string `json:"last_error"`
	// Rows, Bytes and AnalyzedAt are a tenant's size by its last analysis
	// (herd analyze), nil before the first; SizeClass is its class by
	// large_tenants ("unknown" before the first analysis, "" for the
	// system database).
	Rows       *int64     `json:"rows"`
	Bytes      *int64     `json:"bytes"`
	SizeClass  SizeClass  `json:"size_class,omitempty"`
	AnalyzedAt *time.Time `json:"analyzed_at"`
	// Drift is a tenant's last drift check (herd drift), without its
	// differences; nil before the first.
	Drift *TenantDrift `json:"drift,omitempty"`
}

// StatusNotApplicable is the status of the system database in a project
// without system migrations.
const StatusNotApplicable = "n/a (no system migrations)"

// Status lists the system database, then every registered tenant by code,
// with where each stands: a tenant the control database has no version
// row for yet is pending, and the system database of a project without
// system migrations is StatusNotApplicable. Tenants carry their size by
// their last analysis and their last drift check. It reads only the control database and returns its
// error when that fails.
func (f *Fleet) Status(ctx context.Context) ([]StatusRow, error) {
	versions, err := f.control.Versions(ctx)
	if err != nil {
		return nil, err
	}
	tenants, err := f.control.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	drifts, err := f.control.Drifts(ctx)
	if err != nil {
		return nil, err
	}
	byRef := make(map[control.Ref]control.VersionState, len(versions))
	for _, v := range versions {
		byRef[v.Ref] = v
	}
	rows := make([]StatusRow, 0, len(tenants)+1)
	refs := make([]control.Ref, 0, len(tenants)+1)
	if _, recorded := byRef[control.SystemRef]; recorded || len(f.src.Versions(source.System)) > 0 {
		refs = append(refs, control.SystemRef)
	} else {
		rows = append(rows, StatusRow{Type: string(source.System), Identifier: control.SystemRef.Identifier, Status: StatusNotApplicable})
	}
	sizes := make(map[string]*control.Size, len(tenants))
	for _, t := range tenants {
		refs = append(refs, control.TenantRef(t.Code))
		sizes[t.Code] = t.Size
	}
	for _, ref := range refs {
		v, ok := byRef[ref]
		if !ok {
			v = control.VersionState{Ref: ref, Status: control.StatusPending}
		}
		if ref.Type != source.Tenant {
			rows = append(rows, statusRow(v))
			continue
		}
		var drift *TenantDrift
		if d, ok := drifts[ref.Identifier]; ok {
			drift = &d
		}
		rows = append(rows, f.tenantStatusRow(v, sizes[ref.Identifier], drift))
	}
	return rows, nil
}

// statusRow is v as a row of the status.
func statusRow(v VersionState) StatusRow {
	return StatusRow{Type: string(v.Ref.Type), Identifier: v.Ref.Identifier, CurrentVersion: v.CurrentVersion,
		TargetVersion: v.TargetVersion, Status: string(v.Status), LastError: v.Error}
}

// tenantStatusRow is a tenant's row of the status: where its database
// stands (v), its size by its last analysis (nil before the first) and
// its last drift check (nil before the first).
func (f *Fleet) tenantStatusRow(v VersionState, sz *control.Size, drift *TenantDrift) StatusRow {
	row := statusRow(v)
	row.SizeClass, row.Drift = SizeUnknown, drift
	if sz != nil {
		row.SizeClass = f.cfg.LargeTenants.Class(sz.Rows, sz.Bytes, true)
		row.Rows, row.Bytes, row.AnalyzedAt = &sz.Rows, &sz.Bytes, &sz.AnalyzedAt
	}
	return row
}

// Version returns where ref's database stands in the control database;
// ok is false when it has no row there yet (it was never migrated).
func (f *Fleet) Version(ctx context.Context, ref Ref) (v VersionState, ok bool, err error) {
	return f.control.Version(ctx, ref)
}

// History returns ref's migration history in the control database,
// oldest first; empty, not nil, when it has none.
func (f *Fleet) History(ctx context.Context, ref Ref) ([]HistoryEntry, error) {
	h, err := f.control.History(ctx, ref)
	if err != nil {
		return nil, err
	}
	return nonNil(h), nil
}

// The bounds of a history page's Limit.
const (
	DefaultHistoryLimit = 100
	MaxHistoryLimit     = 1000
)

// HistoryPage is one page of a database's migration history, oldest first.
type HistoryPage struct {
	Entries []HistoryEntry `json:"entries"`
	// Next is the After of the following page; 0 when this page is the
	// last.
	Next int64 `json:"next,omitempty"`
}

// HistoryPage returns at most limit entries of ref's history (0 means
// DefaultHistoryLimit) after the entry whose ID is after (0: from the
// first), and where the next page starts. A limit outside 0 to
// MaxHistoryLimit, or a negative after, is an input error.
func (f *Fleet) HistoryPage(ctx context.Context, ref Ref, after int64, limit int) (HistoryPage, error) {
	switch {
	case limit == 0:
		limit = DefaultHistoryLimit
	case limit < 0 || limit > MaxHistoryLimit:
		return HistoryPage{}, &InputError{Err: fmt.Errorf("history of %s: limit %d: want 1 to %d", ref, limit, MaxHistoryLimit)}
	}
	if after < 0 {
		return HistoryPage{}, &InputError{Err: fmt.Errorf("history of %s: after %d: want an entry's id, or 0 for the first page", ref, after)}
	}
	// One more than the page tells whether another follows.
	h, err := f.control.HistoryPage(ctx, ref, after, limit+1)
	if err != nil {
		return HistoryPage{}, err
	}
	page := HistoryPage{Entries: nonNil(h)}
	if len(h) > limit {
		page.Entries = h[:limit]
		page.Next = h[limit-1].ID
	}
	return page, nil
}

// TenantDetail is a registered tenant with where its database stands, its
// size and its migration history.
type TenantDetail struct {
	Tenant
	// Version is nil while the tenant was never migrated.
	Version *VersionState `json:"version"`
	// Size is the tenant's last analysis, with its tables; nil before the
	// first. SizeClass is its class by large_tenants.
	Size      *TenantSize `json:"size"`
	SizeClass SizeClass   `json:"size_class"`
	// History is oldest first, empty when there is none.
	History []HistoryEntry `json:"history"`
	// Switches are the tenant's shadow switches, newest first.
	Switches []Switch `json:"switches,omitempty"`
	// Drift is the tenant's last drift check, with its differences; nil
	// before the first.
	Drift *TenantDrift `json:"drift,omitempty"`
	// Shadow is the tenant's newest shadow migration: its phase while it
	// runs, or how it ended; nil when it has none.
	Shadow *ShadowRun `json:"shadow,omitempty"`
}

// TenantDetail returns tenant code with its version, history, size,
// switches, last drift check and shadow migration, read from the control
// database. An unknown tenant is an input error wrapping
// control.ErrTenantNotFound.
func (f *Fleet) TenantDetail(ctx context.Context, code string) (TenantDetail, error) {
	t, err := f.control.Tenant(ctx, code)
	if err != nil {
		return TenantDetail{}, err
	}
	d := TenantDetail{Tenant: t}
	ref := control.TenantRef(t.Code)
	if v, ok, err := f.control.Version(ctx, ref); err != nil {
		return TenantDetail{}, err
	} else if ok {
		d.Version = &v
	}
	if d.History, err = f.History(ctx, ref); err != nil {
		return TenantDetail{}, err
	}
	sz, class, ok, err := f.Size(ctx, code)
	if err != nil {
		return TenantDetail{}, err
	}
	if d.SizeClass = class; ok {
		d.Size = &sz
	}
	if d.Switches, err = f.control.Switches(ctx, code); err != nil {
		return TenantDetail{}, err
	}
	if dr, ok, err := f.control.Drift(ctx, code); err != nil {
		return TenantDetail{}, err
	} else if ok {
		d.Drift = &dr
	}
	if run, ok, err := f.ShadowRun(ctx, code); err != nil {
		return TenantDetail{}, err
	} else if ok {
		d.Shadow = &run
	}
	return d, nil
}

// Dirty returns ref's dirty migration, the one a failure left part-way
// and Repair acts on, as its own ledger records it; ok is false when
// there is none. It reads the ledger without locking or creating it.
func (f *Fleet) Dirty(ctx context.Context, ref Ref) (e LedgerEntry, ok bool, err error) {
	entries, err := f.Ledger(ctx, ref)
	if err != nil {
		return LedgerEntry{}, false, err
	}
	for _, e := range entries {
		if e.State == execute.StateDirty {
			return e, true, nil
		}
	}
	return LedgerEntry{}, false, nil
}

// InvalidIndexes returns the indexes of ref's database that a failed
// online build (PostgreSQL's CREATE INDEX CONCURRENTLY in a
// herd:no-transaction migration) left invalid, each with the statement
// that drops it; none on an engine without such builds. herd repair shows
// them: Repair's retry refuses to run while there are any.
func (f *Fleet) InvalidIndexes(ctx context.Context, ref Ref) ([]InvalidIndex, error) {
	tg, err := f.resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	inspector, ok := tg.dialect.(dialect.IndexInspector)
	if !ok {
		return nil, nil
	}
	db, closeDB, err := tg.open(ctx)
	if err != nil {
		return nil, err
	}
	defer closeDB()
	return inspector.InvalidIndexes(ctx, db)
}
