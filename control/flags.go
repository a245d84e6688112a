package control

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/herdhq/herd/flags"
	"github.com/herdhq/herd/source"
)

// The values of herd_flag_overrides.value.
const (
	overrideOn  = "on"
	overrideOff = "off"
)

// SetOverride sets the override of flag for tenant, in one transaction
// with its audit entry (action "flags.set", subject the tenant's code, by
// actor): OverrideOn and OverrideOff store the override, OverrideNone
// deletes it, leaving the flag to its rules. It returns an error wrapping
// ErrTenantNotFound for a tenant the registry lacks; whether the flag is
// declared is the caller's business (herd.yaml, not the control database,
// declares flags). It is safe for concurrent use.
func (s *Store) SetOverride(ctx context.Context, flag, tenant string, o flags.Override, actor string) error {
	var value string
	switch o {
	case flags.OverrideOn:
		value = overrideOn
	case flags.OverrideOff:
		value = overrideOff
	case flags.OverrideNone:
	default:
		return fmt.Errorf("control: override of flag %q for tenant %q: unknown override %s", flag, tenant, o)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		ok, err := s.tenantExists(ctx, tx, tenant)
		if err != nil {
			return fmt.Errorf("control: override of flag %q for tenant %q: %w", flag, tenant, err)
		}
		if !ok {
			return fmt.Errorf("tenant %q: %w", tenant, ErrTenantNotFound)
		}
		var was sql.NullString
		err = tx.QueryRowContext(ctx, s.q.overrideGet, flag, tenant).Scan(&was)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("control: override of flag %q for tenant %q: %w", flag, tenant, err)
		}
		// Delete, then insert: the same two statements on every engine.
		if _, err := tx.ExecContext(ctx, s.q.overrideDelete, flag, tenant); err != nil {
			return fmt.Errorf("control: override of flag %q for tenant %q: %w", flag, tenant, err)
		}
		if value != "" {
			_, err := tx.ExecContext(ctx, s.q.overrideInsert, flag, tenant, value, s.now().UTC(), actor)
			if err != nil {
				return fmt.Errorf("control: override of flag %q for tenant %q: %w", flag, tenant, err)
			}
		}
		detail := fmt.Sprintf("flag %s: %s (was %s)", flag, overrideWord(value), overrideWord(was.String))
		if err := s.audit(ctx, tx, actor, "flags.set", tenant, detail); err != nil {
			return err
		}
		return s.bump(ctx, tx)
	})
}

// overrideWord names a stored override value in the audit log: "default"
// when there is none.
func overrideWord(value string) string {
	if value == "" {
		return "default"
	}
	return value
}

// Override returns the override of flag for tenant: OverrideNone when it
// has none (or the tenant does not exist). It is safe for concurrent use.
func (r *Reader) Override(ctx context.Context, flag, tenant string) (flags.Override, error) {
	var value string
	err := r.db.DB.QueryRowContext(ctx, r.q.overrideGet, flag, tenant).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return flags.OverrideNone, nil
	}
	if err != nil {
		return flags.OverrideNone, fmt.Errorf("control: override of flag %q for tenant %q: %w", flag, tenant, err)
	}
	return parseOverride(flag, tenant, value)
}

// Overrides returns every override, by flag and then by tenant code, in
// one query. Flags without overrides are absent. It is safe for
// concurrent use.
func (r *Reader) Overrides(ctx context.Context) (map[string]map[string]flags.Override, error) {
	rows, err := r.db.DB.QueryContext(ctx, r.q.overrideList)
	if err != nil {
		return nil, fmt.Errorf("control: read flag overrides: %w", err)
	}
	defer rows.Close()
	out := map[string]map[string]flags.Override{}
	for rows.Next() {
		var flag, tenant, value string
		if err := rows.Scan(&flag, &tenant, &value); err != nil {
			return nil, fmt.Errorf("control: read flag overrides: %w", err)
		}
		o, err := parseOverride(flag, tenant, value)
		if err != nil {
			return nil, err
		}
		if out[flag] == nil {
			out[flag] = map[string]flags.Override{}
		}
		out[flag][tenant] = o
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("control: read flag overrides: %w", err)
	}
	return out, nil
}

func parseOverride(flag, tenant, value string) (flags.Override, error) {
	switch value {
	case overrideOn:
		return flags.OverrideOn, nil
	case overrideOff:
		return flags.OverrideOff, nil
	}
	return flags.OverrideNone, fmt.Errorf("control: override of flag %q for tenant %q: stored value %q is neither on nor off", flag, tenant, value)
}

// FlagTenant returns what flag evaluation needs to know of the tenant with
// the given code: its tier and its current schema version from
// database_schema_versions (nil when it has none). It reads the control
// database only, never the tenant's database, and returns an error
// wrapping ErrTenantNotFound for an unknown code. It is safe for
// concurrent use.
func (r *Reader) FlagTenant(ctx context.Context, code string) (flags.Tenant, error) {
	ts, err := r.flagTenants(ctx, r.q.flagTenantGet, code)
	if err != nil {
		return flags.Tenant{}, err
	}
	if len(ts) == 0 {
		return flags.Tenant{}, fmt.Errorf("tenant %q: %w", code, ErrTenantNotFound)
	}
	return ts[0], nil
}

// FlagTenants returns FlagTenant for every tenant, ordered by code, in one
// query. It is safe for concurrent use.
func (r *Reader) FlagTenants(ctx context.Context) ([]flags.Tenant, error) {
	return r.flagTenants(ctx, r.q.flagTenantList)
}

// flagTenants reads what flag evaluation needs of tenants (code, tier and
// current schema version) with query, in one query.
func (r *Reader) flagTenants(ctx context.Context, query string, args ...any) ([]flags.Tenant, error) {
	rows, err := r.db.DB.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("control: read tenants for flags: %w", err)
	}
	defer rows.Close()
	var out []flags.Tenant
	for rows.Next() {
		var t flags.Tenant
		var version string
		if err := rows.Scan(&t.Code, &t.Tier, &version); err != nil {
			return nil, fmt.Errorf("control: read tenants for flags: %w", err)
		}
		if version != "" {
			if t.Version, err = source.ParseVersion(version); err != nil {
				return nil, fmt.Errorf("control: tenant %q: current version: %w", t.Code, err)
			}
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("control: read tenants for flags: %w", err)
	}
	return out, nil
}
