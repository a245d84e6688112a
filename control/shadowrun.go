package control

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// ShadowPhase is a phase of a shadow migration, named as its event is
// (shadow.copy, …).
type ShadowPhase string

// The phases of a shadow migration, in order.
const (
	// ShadowCopy creates the shadow beside the tenant, installs the
	// capture and copies the tenant into it (shadow.Prepare).
	ShadowCopy ShadowPhase = "copy"
	// ShadowCatchUp catches the shadow up with the changes captured,
	// online, until fewer than a batch remain.
	ShadowCatchUp ShadowPhase = "catchup"
	// ShadowFreeze freezes the tenant's writes, within
	// shadow.freeze_timeout a try.
	ShadowFreeze ShadowPhase = "freeze"
	// ShadowVerify catches up the rest under the freeze and compares the
	// shadow with the tenant.
	ShadowVerify ShadowPhase = "verify"
	// ShadowMigrate migrates the shadow with the ordinary executor.
	ShadowMigrate ShadowPhase = "migrate"
	// ShadowSwitch moves the tenant to its shadow in the control database.
	ShadowSwitch ShadowPhase = "switch"
)

// ShadowRunState is where a tenant's shadow migration stands.
type ShadowRunState string

// The states of a ShadowRun.
const (
	// ShadowRunning is a shadow migration under way.
	ShadowRunning ShadowRunState = "running"
	// ShadowSwitched is a shadow migration that switched the tenant.
	ShadowSwitched ShadowRunState = "switched"
	// ShadowAbandoned is a shadow migration that failed or was removed,
	// leaving the tenant as it was.
	ShadowAbandoned ShadowRunState = "abandoned"
	// ShadowInterrupted is never recorded: it is how a reader that knows
	// the time reports a running shadow migration whose AliveUntil has
	// passed, its herd having stopped (see ShadowRun.At).
	ShadowInterrupted ShadowRunState = "interrupted"
)

// ShadowProgress is how far a phase got, where herd can tell: Count of
// Of (0 when there is no total) in Unit, as in "2 of 5 migrations" or
// "1200 changes left".
type ShadowProgress struct {
	Count int64  `json:"count"`
	Of    int64  `json:"of,omitempty"`
	Unit  string `json:"unit"`
}

// String says the progress in words: "2 of 5 migrations".
func (p ShadowProgress) String() string {
	if p.Of > 0 {
		return fmt.Sprintf("%d of %d %s", p.Count, p.Of, p.Unit)
	}
	return fmt.Sprintf("%d %s", p.Count, p.Unit)
}

// ShadowRun is a tenant's newest shadow migration as the control database
// records it: its phase while it runs (since PhaseStartedAt, with its
// progress where known), and how it ended.
type ShadowRun struct {
	Tenant         string          `json:"tenant"`
	FromVersion    string          `json:"from_version"`
	ToVersion      string          `json:"to_version"`
	State          ShadowRunState  `json:"state"`
	Phase          ShadowPhase     `json:"phase"`
	StartedAt      time.Time       `json:"started_at"`
	PhaseStartedAt time.Time       `json:"phase_started_at"`
	Progress       *ShadowProgress `json:"progress,omitempty"`
	// AliveUntil is until when a running migration's record holds
	// without being renewed: the migration renews it while it runs.
	AliveUntil time.Time  `json:"alive_until"`
	EndedAt    *time.Time `json:"ended_at,omitempty"`
	// Error is why an abandoned migration was abandoned.
	Error string `json:"error,omitempty"`
}

// At returns the run as it stands at now: a running one whose AliveUntil
// has passed is ShadowInterrupted.
func (r ShadowRun) At(now time.Time) ShadowRun {
	if r.State == ShadowRunning && r.AliveUntil.Before(now) {
		r.State = ShadowInterrupted
	}
	return r
}

// BeginShadowRun records that run, a shadow migration of run.Tenant, is
// running, in phase run.Phase since run.StartedAt, and holds until
// aliveUntil; it replaces the tenant's previous record.
func (s *Store) BeginShadowRun(ctx context.Context, run ShadowRun, aliveUntil time.Time) error {
	_, err := s.exec(ctx, s.q.shadowRunBegin, run.Tenant, run.FromVersion, run.ToVersion, string(ShadowRunning),
		string(run.Phase), run.StartedAt.UTC(), run.StartedAt.UTC(), aliveUntil.UTC())
	if err != nil {
		return fmt.Errorf("control: record the shadow migration of tenant %q: %w", run.Tenant, err)
	}
	return nil
}

// ShadowPhaseStarted records that tenant code's running shadow migration
// entered phase at at, with progress p (nil: none known), and holds until
// aliveUntil. A tenant without a running one is left alone.
func (s *Store) ShadowPhaseStarted(ctx context.Context, code string, phase ShadowPhase, at time.Time, p *ShadowProgress, aliveUntil time.Time) error {
	count, of, unit := progressArgs(p)
	_, err := s.exec(ctx, s.q.shadowRunPhase, string(phase), at.UTC(), count, of, unit, aliveUntil.UTC(), code, string(ShadowRunning))
	if err != nil {
		return fmt.Errorf("control: record the shadow migration phase %s of tenant %q: %w", phase, code, err)
	}
	return nil
}

// ShadowProgressed records the progress p of tenant code's running shadow
// migration in its phase, and that it holds until aliveUntil.
func (s *Store) ShadowProgressed(ctx context.Context, code string, p ShadowProgress, aliveUntil time.Time) error {
	count, of, unit := progressArgs(&p)
	_, err := s.exec(ctx, s.q.shadowRunProgress, count, of, unit, aliveUntil.UTC(), code, string(ShadowRunning))
	if err != nil {
		return fmt.Errorf("control: record the shadow migration progress of tenant %q: %w", code, err)
	}
	return nil
}

// ShadowAlive extends the record of tenant code's running shadow
// migration to aliveUntil.
func (s *Store) ShadowAlive(ctx context.Context, code string, aliveUntil time.Time) error {
	if _, err := s.exec(ctx, s.q.shadowRunAlive, aliveUntil.UTC(), code, string(ShadowRunning)); err != nil {
		return fmt.Errorf("control: renew the shadow migration record of tenant %q: %w", code, err)
	}
	return nil
}

// EndShadowRun records that tenant code's running shadow migration was
// abandoned, for reason (its error). The switch ends a run itself (see
// SwitchTenant). A tenant without a running one is left alone.
func (s *Store) EndShadowRun(ctx context.Context, code, reason string) error {
	if err := s.endShadowRun(ctx, s.writer(), code, ShadowAbandoned, reason); err != nil {
		return fmt.Errorf("control: record the end of the shadow migration of tenant %q: %w", code, err)
	}
	return nil
}

// endShadowRun moves tenant code's running shadow migration to state.
func (s *Store) endShadowRun(ctx context.Context, q execer, code string, state ShadowRunState, reason string) error {
	_, err := q.ExecContext(ctx, s.q.shadowRunEnd, string(state), s.now().UTC(), nullable(reason), code, string(ShadowRunning))
	return err
}

// progressArgs are p's columns, NULL when p is nil.
func progressArgs(p *ShadowProgress) (count, of, unit any) {
	if p == nil {
		return nil, nil, nil
	}
	return p.Count, p.Of, p.Unit
}

// ShadowRun returns tenant code's newest shadow migration; ok is false
// when the tenant has none recorded.
func (r *Reader) ShadowRun(ctx context.Context, code string) (run ShadowRun, ok bool, err error) {
	runs, err := r.shadowRuns(ctx, r.q.shadowRunGet, code)
	if err != nil || len(runs) == 0 {
		return ShadowRun{}, false, err
	}
	return runs[0], true, nil
}

// RunningShadowRuns returns the shadow migrations recorded as running,
// by tenant code, those whose herd stopped included (see ShadowRun.At).
func (r *Reader) RunningShadowRuns(ctx context.Context) ([]ShadowRun, error) {
	return r.shadowRuns(ctx, r.q.shadowRunList, string(ShadowRunning))
}

func (r *Reader) shadowRuns(ctx context.Context, query string, arg string) ([]ShadowRun, error) {
	rows, err := r.db.DB.QueryContext(ctx, query, arg)
	if err != nil {
		return nil, fmt.Errorf("control: read shadow migrations: %w", err)
	}
	defer rows.Close()
	var out []ShadowRun
	for rows.Next() {
		var run ShadowRun
		var state, phase string
		var count, of sql.NullInt64
		var unit, reason sql.NullString
		var ended sql.NullTime
		if err := rows.Scan(&run.Tenant, &run.FromVersion, &run.ToVersion, &state, &phase, &run.StartedAt, &run.PhaseStartedAt,
			&count, &of, &unit, &run.AliveUntil, &ended, &reason); err != nil {
			return nil, fmt.Errorf("control: read shadow migrations: %w", err)
		}
		run.State, run.Phase, run.EndedAt, run.Error = ShadowRunState(state), ShadowPhase(phase), timePtr(ended), reason.String
		if count.Valid {
			run.Progress = &ShadowProgress{Count: count.Int64, Of: of.Int64, Unit: unit.String}
		}
		out = append(out, run)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("control: read shadow migrations: %w", err)
	}
	return out, nil
}
