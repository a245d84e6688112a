package control

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SwitchState is where a shadow migration's cut-over stands.
type SwitchState string

// The states of a Switch.
const (
	// SwitchActive is a tenant on the database it was switched to, with
	// the database it left kept as its rollback point.
	SwitchActive SwitchState = "switched"
	// SwitchUndone is a switch that herd rollback took back: the tenant
	// is on its old database again.
	SwitchUndone SwitchState = "switched_back"
	// SwitchCleaned is a switch whose old database herd cleanup dropped.
	SwitchCleaned SwitchState = "cleaned"
)

// Switch is a shadow migration's cut-over: tenant Tenant moved, at once,
// from database OldDatabase at FromVersion to its migrated shadow
// NewDatabase at ToVersion, on server Server. OldDatabase stays as the
// tenant's rollback point until it is cleaned up.
type Switch struct {
	ID          int64       `json:"id"`
	Tenant      string      `json:"tenant"`
	Server      string      `json:"server"`
	OldDatabase string      `json:"old_database"`
	NewDatabase string      `json:"new_database"`
	FromVersion string      `json:"from_version"`
	ToVersion   string      `json:"to_version"`
	State       SwitchState `json:"state"`
	SwitchedAt  time.Time   `json:"switched_at"`
	// EndedAt is when the switch was taken back or cleaned up.
	EndedAt *time.Time `json:"ended_at,omitempty"`
	// Renamed reports a switch that renamed instead of moving the
	// registry (a server whose tenants swap names, see
	// dialect.NameSwapper): the migrated copy took the tenant's name,
	// NewDatabase, which the registry keeps, and the database it left
	// was renamed OldDatabase. The names are always where each database
	// is now: a switch back renames them again, and records the new
	// names.
	Renamed bool `json:"renamed,omitempty"`
}

// ErrMoved is returned when a tenant is not on the database a switch
// expects it on: another command moved it meanwhile.
var ErrMoved = errors.New("the tenant is not on the database expected")

// SwitchTenant records sw (its ID and State are set here) and moves the
// tenant to sw.NewDatabase at sw.ToVersion in one transaction: the
// registry row, the version row (completed), the history of steps, an
// audit entry, the end of the tenant's running shadow migration
// (ShadowSwitched) and the change counter, so that the router and herd serve
// follow at their next refresh. It fails, changing nothing, with an
// error wrapping ErrMoved when the tenant is not on sw.OldDatabase (on
// sw.NewDatabase, its name, when sw.Renamed: the registry stays).
func (s *Store) SwitchTenant(ctx context.Context, sw Switch, steps []Step, actor string) (int64, error) {
	ref := TenantRef(sw.Tenant)
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		from := sw.OldDatabase
		if sw.Renamed {
			from = sw.NewDatabase
		}
		if err := s.move(ctx, tx, sw.Tenant, from, sw.NewDatabase); err != nil {
			return err
		}
		if err := s.insertHistory(ctx, tx, ref, steps); err != nil {
			return err
		}
		if err := s.upsertTx(ctx, tx, ref, s.q.versionEnd, s.endArgs(sw.ToVersion, nil, nil)); err != nil {
			return err
		}
		var err error
		id, err = s.insertID(ctx, tx, s.q.switchInsert, sw.Tenant, sw.Server, sw.OldDatabase, sw.NewDatabase,
			sw.FromVersion, sw.ToVersion, string(SwitchActive), sw.SwitchedAt.UTC(), sw.Renamed)
		if err != nil {
			return err
		}
		if err := s.endShadowRun(ctx, tx, sw.Tenant, ShadowSwitched, ""); err != nil {
			return err
		}
		detail := fmt.Sprintf("shadow switch: %s (v%s) -> %s (v%s)", sw.OldDatabase, sw.FromVersion, sw.NewDatabase, sw.ToVersion)
		if err := s.audit(ctx, tx, actor, "switch", ref.String(), detail); err != nil {
			return err
		}
		return s.bump(ctx, tx)
	})
	if err != nil {
		return 0, fmt.Errorf("control: switch tenant %q to %s: %w", sw.Tenant, sw.NewDatabase, err)
	}
	return id, nil
}

// SwitchBack takes switch sw back in one transaction: the tenant returns
// to sw.OldDatabase at sw.FromVersion, with the history of steps (the
// path's migrations, down, each with a note saying how), an audit entry
// and the change counter, and the switch is marked SwitchUndone. It
// fails, changing nothing, with an error wrapping ErrMoved when the
// tenant is not on sw.NewDatabase or the switch is not active.
//
// A switch that renamed (sw.Renamed) is taken back by renaming again:
// sw's names are then those after the renames back, which the record
// keeps: the tenant is on OldDatabase, its name, which the registry
// keeps, and the migrated copy is now NewDatabase.
func (s *Store) SwitchBack(ctx context.Context, sw Switch, steps []Step, note, actor string) error {
	ref := TenantRef(sw.Tenant)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.endSwitchFrom(ctx, tx, sw, SwitchActive, SwitchUndone); err != nil {
			return err
		}
		from := sw.NewDatabase
		if sw.Renamed {
			from = sw.OldDatabase
		}
		if err := s.move(ctx, tx, sw.Tenant, from, sw.OldDatabase); err != nil {
			return err
		}
		if err := s.insertHistory(ctx, tx, ref, steps); err != nil {
			return err
		}
		if err := s.upsertTx(ctx, tx, ref, s.q.versionEnd, s.endArgs(sw.FromVersion, nil, nil)); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, actor, "switch back", ref.String(), note); err != nil {
			return err
		}
		return s.bump(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("control: switch tenant %q back to %s: %w", sw.Tenant, sw.OldDatabase, err)
	}
	return nil
}

// CleanedSwitch marks switch sw cleaned up: the database it made
// redundant was dropped (the old one of an active switch, the new one of
// a switch taken back), with an audit entry. It wraps ErrMoved when the
// switch is no longer in sw.State.
func (s *Store) CleanedSwitch(ctx context.Context, sw Switch, dropped, actor string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.endSwitchFrom(ctx, tx, sw, sw.State, SwitchCleaned); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "cleanup", TenantRef(sw.Tenant).String(), "dropped "+dropped)
	})
	if err != nil {
		return fmt.Errorf("control: record the cleanup of %s: %w", dropped, err)
	}
	return nil
}

// move moves tenant code from database from to database to, in tx.
func (s *Store) move(ctx context.Context, tx *sql.Tx, code, from, to string) error {
	res, err := tx.ExecContext(ctx, s.q.tenantMove, to, code, from)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return errors.Join(err, fmt.Errorf("%w: %s", ErrMoved, from))
	}
	return nil
}

// endSwitchFrom moves switch sw.ID from state from to state to, in tx,
// recording sw's database names.
func (s *Store) endSwitchFrom(ctx context.Context, tx *sql.Tx, sw Switch, from, to SwitchState) error {
	res, err := tx.ExecContext(ctx, s.q.switchEnd, string(to), s.now().UTC(), sw.OldDatabase, sw.NewDatabase, sw.ID, string(from))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return errors.Join(err, fmt.Errorf("%w: switch %d is no longer %s", ErrMoved, sw.ID, from))
	}
	return nil
}

// Switches returns the shadow switches of tenant (every tenant's when it
// is ""), newest first. Their Renamed came with control schema 1.13.0,
// above AttachVersion: it is a Store's.
func (s *Store) Switches(ctx context.Context, tenant string) ([]Switch, error) {
	query, args := s.q.switchList, []any(nil)
	if tenant != "" {
		query, args = s.q.switchListTenant, []any{tenant}
	}
	rows, err := s.db.DB.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("control: read shadow switches: %w", err)
	}
	defer rows.Close()
	var out []Switch
	for rows.Next() {
		var sw Switch
		var state string
		var ended sql.NullTime
		if err := rows.Scan(&sw.ID, &sw.Tenant, &sw.Server, &sw.OldDatabase, &sw.NewDatabase, &sw.FromVersion,
			&sw.ToVersion, &state, &sw.SwitchedAt, &ended, &sw.Renamed); err != nil {
			return nil, fmt.Errorf("control: read shadow switches: %w", err)
		}
		sw.State = SwitchState(state)
		if ended.Valid {
			sw.EndedAt = &ended.Time
		}
		out = append(out, sw)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("control: read shadow switches: %w", err)
	}
	return out, nil
}

// FreezeWrites records that tenant code's writes are frozen until until
// (a shadow migration's cut-over), or extends the freeze to until, and
// moves the change counter so that routers report the tenant read-only
// at their next refresh.
func (s *Store) FreezeWrites(ctx context.Context, code string, until time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q.freezeUpsert, code, until.UTC()); err != nil {
			return err
		}
		return s.bump(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("control: record the write freeze of tenant %q: %w", code, err)
	}
	return nil
}

// ThawWrites records that tenant code's write freeze ended.
func (s *Store) ThawWrites(ctx context.Context, code string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q.freezeDelete, code); err != nil {
			return err
		}
		return s.bump(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("control: record the end of tenant %q's write freeze: %w", code, err)
	}
	return nil
}

// WriteFreezes returns until when each tenant whose writes were frozen is
// frozen, by code; a time in the past is a freeze that lapsed.
func (r *Reader) WriteFreezes(ctx context.Context) (map[string]time.Time, error) {
	rows, err := r.db.DB.QueryContext(ctx, r.q.freezeList)
	if err != nil {
		return nil, fmt.Errorf("control: read write freezes: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var code string
		var until time.Time
		if err := rows.Scan(&code, &until); err != nil {
			return nil, fmt.Errorf("control: read write freezes: %w", err)
		}
		out[code] = until
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("control: read write freezes: %w", err)
	}
	return out, nil
}
