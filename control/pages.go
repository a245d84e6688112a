package control

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/herdhq/herd/drift"
)

// The pages of the control database's lists that the console reads (herd
// serve's /api/v1): each is one read that filters and bounds in the
// control database, so that a page costs the same whatever the fleet's
// size.

// FleetCount is how many registered tenants share a current version, a
// status and a server, as Reader.FleetCounts groups them.
type FleetCount struct {
	// Version is "" for a tenant never migrated.
	Version string
	Status  Status
	Server  string
	Tenants int
}

// FleetCounts counts the registered tenants by current version, status
// and server in one grouped read; a tenant without a version row counts
// as pending, at no version.
func (r *Reader) FleetCounts(ctx context.Context) ([]FleetCount, error) {
	return readRows(ctx, r, "the tenants' counts", r.q.tenantCounts, func(rows *sql.Rows) (FleetCount, error) {
		var c FleetCount
		err := rows.Scan(&c.Version, &c.Status, &c.Server, &c.Tenants)
		return c, err
	})
}

// TenantFilter selects a page of tenants for Reader.TenantStatusPage.
// Every field left at its zero value selects every tenant.
type TenantFilter struct {
	// After is the code the page starts after: tenants come by code.
	After string
	// Versions, when not nil, are the current versions to keep ("" for
	// a tenant never migrated); an empty, non-nil list keeps none.
	Versions []string
	Status   Status
	Tier     string
	Server   string
	// Tag keeps the tenants that carry it.
	Tag string
	// Search keeps the tenants whose code or name, lower-cased, holds it
	// (it must be lower case).
	Search string
	// Limit is how many tenants at most; it must be positive.
	Limit int
}

// TenantStatus is a registered tenant with where its database stands,
// its size (in Tenant.Size) and its last drift check, as one row of a
// status page.
type TenantStatus struct {
	Tenant
	Version VersionState
	// Drift is the last drift check without its differences; nil when
	// the tenant was never checked.
	Drift *Drift
}

// TenantStatusPage returns the tenants f selects, by code, each with its
// version, size and last drift check.
func (r *Reader) TenantStatusPage(ctx context.Context, f TenantFilter) ([]TenantStatus, error) {
	anyVersion, versions := 1, []byte("[]")
	if f.Versions != nil {
		anyVersion = 0
		versions, _ = json.Marshal(f.Versions) // a []string always marshals
	}
	pattern := ""
	if f.Search != "" {
		pattern = "%" + likeEscaper.Replace(f.Search) + "%"
	}
	return readRows(ctx, r, "a page of tenants", r.q.tenantStatusPage, scanTenantStatus, f.After,
		f.Tier, f.Tier, f.Server, f.Server, string(f.Status), string(f.Status),
		anyVersion, string(versions), f.Tag, f.Tag, pattern, pattern, pattern, f.Limit)
}

func scanTenantStatus(rows *sql.Rows) (TenantStatus, error) {
	var (
		ts                       TenantStatus
		tags                     string
		target, msg              sql.NullString
		sz                       nullSize
		driftVersion, driftState sql.NullString
		drifted, customised      sql.NullInt64
		checkedAt                sql.NullTime
	)
	err := rows.Scan(&ts.Code, &ts.Name, &ts.Tier, &ts.Server, &ts.Database, &tags,
		&ts.Version.CurrentVersion, &target, &ts.Version.Status, &msg,
		&sz.rows, &sz.bytes, &sz.rowsEstimated, &sz.bytesEstimated, &sz.analyzedAt,
		&driftVersion, &driftState, &drifted, &customised, &checkedAt)
	if err != nil {
		return TenantStatus{}, err
	}
	if err := json.Unmarshal([]byte(tags), &ts.Tags); err != nil {
		return TenantStatus{}, fmt.Errorf("tenant %q: tags: %w", ts.Code, err)
	}
	ts.Version.Ref = TenantRef(ts.Code)
	ts.Version.TargetVersion, ts.Version.Error = target.String, msg.String
	ts.Size = sz.size(ts.Code)
	if checkedAt.Valid {
		ts.Drift = &Drift{Tenant: ts.Code, Version: driftVersion.String, CheckedAt: checkedAt.Time,
			Summary: drift.Summary{State: drift.State(driftState.String), Drifted: int(drifted.Int64), Customised: int(customised.Int64)}}
	}
	return ts, nil
}

// AuditEntry is one row of the audit log.
type AuditEntry struct {
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	Action  string    `json:"action"`
	Subject string    `json:"subject"`
	Detail  string    `json:"detail"`
}

// AuditFilter selects a page of the audit log for Reader.AuditPage.
type AuditFilter struct {
	// Before is the id the page starts below, newest first; 0 starts at
	// the newest.
	Before int64
	// Actor and Action, when set, keep the entries that have them.
	Actor, Action string
	// Limit is how many entries at most; it must be positive.
	Limit int
}

// AuditPage returns the audit log's entries f selects, newest first.
func (r *Reader) AuditPage(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	return readRows(ctx, r, "the audit log", r.q.auditPage, func(rows *sql.Rows) (AuditEntry, error) {
		var e AuditEntry
		err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Subject, &e.Detail)
		return e, err
	}, f.Before, f.Before, f.Actor, f.Actor, f.Action, f.Action, f.Limit)
}

// RolloutPage returns at most limit rollouts, newest first, whose id is
// below before (0: from the newest), in status when it is set.
func (r *Reader) RolloutPage(ctx context.Context, before int64, status RolloutStatus, limit int) ([]Rollout, error) {
	return r.rollouts(ctx, r.q.rolloutPage, before, before, string(status), string(status), limit)
}

// ItemFilter selects a page of a rollout's tenants for Reader.ItemPage.
type ItemFilter struct {
	// AfterWave and AfterPosition are where the page starts: tenants
	// come by wave and position; -1 and -1 start at the first.
	AfterWave, AfterPosition int
	// State, when set, keeps the tenants in it.
	State ItemState
	// Limit is how many tenants at most; it must be positive.
	Limit int
}

// ItemPage returns the tenants of rollout id that f selects, by wave and
// position.
func (r *Reader) ItemPage(ctx context.Context, id int64, f ItemFilter) ([]Item, error) {
	return r.items(ctx, id, r.q.itemPage, id, f.AfterWave, f.AfterWave, f.AfterPosition,
		string(f.State), string(f.State), f.Limit)
}

// TenantItems returns at most limit of tenant's items, newest rollout
// first, each with its rollout's id, in the rollouts whose id is below
// before (0: from the newest).
func (r *Reader) TenantItems(ctx context.Context, tenant string, before int64, limit int) ([]Item, error) {
	return readRows(ctx, r, fmt.Sprintf("tenant %q's rollouts", tenant), r.q.itemListTenant, func(rows *sql.Rows) (Item, error) {
		var it Item
		err := scanItem(rows, &it, &it.Rollout)
		return it, err
	}, tenant, before, before, limit)
}

// likeEscaper escapes the characters LIKE gives a meaning to, with the
// escape character every engine's page query uses: a backslash.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// readRows runs query, kept prepared (Reader.query), and reads each row with scan; what names the rows
// in errors ("a page of tenants").
func readRows[T any](ctx context.Context, r *Reader, what, query string, scan func(*sql.Rows) (T, error), args ...any) ([]T, error) {
	rows, err := r.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("control: read %s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("control: read %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("control: read %s: %w", what, err)
	}
	return out, nil
}
