package control

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/source"
)

// Tenant is one entry of the tenant registry.
type Tenant struct {
	Code     string   `json:"code"`
	Name     string   `json:"name"`
	Tier     string   `json:"tier"`
	Server   string   `json:"server"`
	Database string   `json:"database"`
	Tags     []string `json:"tags"`
	// Features are the features enabled for the tenant; a release that
	// lacks one of them cannot be its target.
	Features  []string  `json:"features"`
	CreatedAt time.Time `json:"created_at"`
	// Size is the tenant's size as herd analyze last measured it, without
	// its tables; nil when it was never analysed. Reader.Tenant and
	// Reader.Tenants fill it; AddTenant and UpdateTenant ignore it.
	Size *Size `json:"size,omitempty"`
}

// ErrTenantNotFound is returned for a tenant code the registry lacks.
var ErrTenantNotFound = errors.New("tenant not found")

// ErrTenantExists is returned when adding a code (or a database on a
// server) the registry already has.
var ErrTenantExists = errors.New("tenant already exists")

// AddTenant registers t, with its row of database_schema_versions
// (pending, no version yet). It returns an error wrapping ErrTenantExists when
// the code, or the database on that server, is taken.
func (s *Store) AddTenant(ctx context.Context, t Tenant) error {
	tags, features := jsonList(t.Tags), jsonList(t.Features)
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q.tenantConflicts, t.Code, t.Server, t.Database).Scan(&n); err != nil {
			return fmt.Errorf("control: add tenant %q: %w", t.Code, err)
		}
		if n > 0 {
			return fmt.Errorf("control: add tenant %q: %w (code, or database %s on server %s)", t.Code, ErrTenantExists, t.Database, t.Server)
		}
		_, err := tx.ExecContext(ctx, s.q.tenantInsert, t.Code, t.Name, t.Tier, t.Server, t.Database, tags, features, t.CreatedAt.UTC())
		if err != nil {
			return fmt.Errorf("control: add tenant %q: %w", t.Code, err)
		}
		// Its version row, pending, which RemoveTenant deletes with it (a
		// row left by a version of herd that did not is kept).
		ref := TenantRef(t.Code)
		if err := tx.QueryRowContext(ctx, s.q.versionExists, string(ref.Type), ref.Identifier).Scan(&n); err != nil {
			return fmt.Errorf("control: add tenant %q: %w", t.Code, err)
		}
		if n == 0 {
			if err := s.insertVersion(ctx, tx, ref, ""); err != nil {
				return err
			}
		}
		return s.bump(ctx, tx)
	})
}

// Tenant returns the tenant with the given code, or an error wrapping
// ErrTenantNotFound.
func (r *Reader) Tenant(ctx context.Context, code string) (Tenant, error) {
	ts, err := r.tenants(ctx, r.db.DB, r.q.tenantGet, code)
	if err != nil {
		return Tenant{}, err
	}
	if len(ts) == 0 {
		return Tenant{}, fmt.Errorf("tenant %q: %w", code, ErrTenantNotFound)
	}
	return ts[0], nil
}

// Tenants returns every tenant, ordered by code.
func (r *Reader) Tenants(ctx context.Context) ([]Tenant, error) {
	return r.tenants(ctx, r.db.DB, r.q.tenantList)
}

// tenants reads the tenants query returns, asking through q.
func (r *Reader) tenants(ctx context.Context, q dialect.Querier, query string, args ...any) ([]Tenant, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("control: read tenants: %w", err)
	}
	defer rows.Close()
	var out []Tenant
	for rows.Next() {
		var t Tenant
		var tags, features string
		var sz nullSize
		if err := rows.Scan(&t.Code, &t.Name, &t.Tier, &t.Server, &t.Database, &tags, &features, &t.CreatedAt,
			&sz.rows, &sz.bytes, &sz.rowsEstimated, &sz.bytesEstimated, &sz.analyzedAt); err != nil {
			return nil, fmt.Errorf("control: read tenants: %w", err)
		}
		t.Size = sz.size(t.Code)
		if err := errors.Join(json.Unmarshal([]byte(tags), &t.Tags), json.Unmarshal([]byte(features), &t.Features)); err != nil {
			return nil, fmt.Errorf("control: tenant %q: tags or features: %w", t.Code, err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("control: read tenants: %w", err)
	}
	return out, nil
}

// RemoveTenant deletes the tenant from the registry, with its version row,
// its flag overrides, its size, its drift, its shadow migration's record
// and its chunked migrations' progress; its history and audit entries
// stay. It returns an error wrapping
// ErrTenantNotFound for an unknown code.
func (s *Store) RemoveTenant(ctx context.Context, code string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q.tenantDelete, code)
		if err != nil {
			return fmt.Errorf("control: remove tenant %q: %w", code, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return fmt.Errorf("tenant %q: %w", code, ErrTenantNotFound)
		}
		if _, err = tx.ExecContext(ctx, s.q.versionDelete, string(source.Tenant), code); err != nil {
			return fmt.Errorf("control: remove tenant %q: %w", code, err)
		}
		if _, err = tx.ExecContext(ctx, s.q.overrideDeleteTenant, code); err != nil {
			return fmt.Errorf("control: remove tenant %q: flag overrides: %w", code, err)
		}
		if _, err = tx.ExecContext(ctx, s.q.sizeDelete, code); err != nil {
			return fmt.Errorf("control: remove tenant %q: size: %w", code, err)
		}
		if _, err = tx.ExecContext(ctx, s.q.driftDelete, code); err != nil {
			return fmt.Errorf("control: remove tenant %q: drift: %w", code, err)
		}
		if _, err = tx.ExecContext(ctx, s.q.shadowRunDelete, code); err != nil {
			return fmt.Errorf("control: remove tenant %q: shadow migration: %w", code, err)
		}
		if _, err = tx.ExecContext(ctx, s.q.chunkProgressDeleteTenant, code); err != nil {
			return fmt.Errorf("control: remove tenant %q: chunk progress: %w", code, err)
		}
		return s.bump(ctx, tx)
	})
}

// UpdateTenant rewrites the name, tier, tags and features of the tenant
// with t's code; its server and database stay. It returns an error
// wrapping ErrTenantNotFound for an unknown code.
func (s *Store) UpdateTenant(ctx context.Context, t Tenant) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		// Counted first: MySQL reports an update that changes nothing as
		// affecting no row.
		ok, err := s.tenantExists(ctx, tx, t.Code)
		if err != nil {
			return fmt.Errorf("control: update tenant %q: %w", t.Code, err)
		}
		if !ok {
			return fmt.Errorf("tenant %q: %w", t.Code, ErrTenantNotFound)
		}
		_, err = tx.ExecContext(ctx, s.q.tenantUpdate, t.Name, t.Tier, jsonList(t.Tags), jsonList(t.Features), t.Code)
		if err != nil {
			return fmt.Errorf("control: update tenant %q: %w", t.Code, err)
		}
		return s.bump(ctx, tx)
	})
}

// tenantExists reports whether the registry has code, reading through q.
func (s *Store) tenantExists(ctx context.Context, q querier, code string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, s.q.tenantExists, code).Scan(&n)
	return n > 0, err
}

func jsonList(items []string) string {
	if items == nil {
		items = []string{}
	}
	b, _ := json.Marshal(items) // a []string always marshals
	return string(b)
}
