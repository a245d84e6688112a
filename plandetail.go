package herd

import (
	"context"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/plan"
)

// PlanDetail is what `herd plan` shows of a database's path to a version:
// the plan and, for a tenant, its size class, what each chunked migration
// on the path is expected to take, and what a snapshot of it could not
// take along.
type PlanDetail struct {
	Ref  Ref
	Plan *Plan
	// SizeClass is a tenant's, by its last analysis (herd analyze); ""
	// for the system database.
	SizeClass SizeClass
	// Chunks are the plan's chunked migrations going up, in plan order.
	Chunks []ChunkEstimate
	// SnapshotLimits name what the tenant uses from outside its schema,
	// which a snapshot cannot take along (see Fleet.SnapshotLimits).
	SnapshotLimits []string
}

// ChunkEstimate is what a chunked migration is expected to take on one
// tenant, by the tenant's last analysis.
type ChunkEstimate struct {
	Migration string `json:"migration"`
	Table     string `json:"table"`
	// Whole is set for a small tenant, which runs the migration as one
	// statement (see execute.Options.WholeChunks).
	Whole bool `json:"whole"`
	// Analyzed is false when the tenant was never analysed, or its table
	// did not exist at the analysis; Rows and Ranges are then 0.
	Analyzed bool `json:"analyzed"`
	// Rows are the table's rows at the analysis (an estimate on
	// PostgreSQL and MySQL).
	Rows int64 `json:"rows"`
	// Ranges is how many ranges the walk takes at the header's size:
	// Rows divided by the size, rounded up; 1 when the migration runs
	// whole. A target makes the size adapt, and the count with it.
	Ranges int64 `json:"ranges"`
}

// Chunk returns the estimate of migration id, nil when it does not run
// chunked on this path.
func (d PlanDetail) Chunk(id string) *ChunkEstimate {
	for i, c := range d.Chunks {
		if c.Migration == id {
			return &d.Chunks[i]
		}
	}
	return nil
}

// PlanDetail returns the path ref's database would take to version to
// (see Plan), with what a tenant's path is expected to cost.
func (f *Fleet) PlanDetail(ctx context.Context, ref Ref, to string) (PlanDetail, error) {
	p, err := f.Plan(ctx, ref, to)
	if err != nil {
		return PlanDetail{}, err
	}
	d := PlanDetail{Ref: ref, Plan: p}
	if ref.Type != TenantDatabase {
		return d, nil
	}
	sz, ok, err := f.control.Size(ctx, ref.Identifier)
	if err != nil {
		return PlanDetail{}, err
	}
	d.SizeClass = f.cfg.LargeTenants.Class(sz.Rows, sz.Bytes, ok)
	d.Chunks = chunkEstimates(p, sz, f.cfg.LargeTenants.RunsWhole(sz.Rows, sz.Bytes, ok))
	if d.SnapshotLimits, err = f.SnapshotLimits(ctx, ref.Identifier); err != nil {
		return PlanDetail{}, err
	}
	return d, nil
}

// chunkEstimates returns the estimates of p's chunked migrations going up
// on a tenant of size sz, which runs them whole or not.
func chunkEstimates(p *plan.Plan, sz control.Size, whole bool) []ChunkEstimate {
	rows := map[string]int64{}
	for _, t := range sz.Tables {
		rows[t.Table] = t.Rows
	}
	var out []ChunkEstimate
	for _, step := range p.Steps {
		c := step.Migration.Chunk
		if c == nil || step.Direction != plan.Up {
			continue
		}
		e := ChunkEstimate{Migration: step.Migration.ID(), Table: c.Table, Whole: whole}
		e.Rows, e.Analyzed = rows[c.Table]
		switch {
		case e.Whole:
			e.Ranges = 1
		case e.Analyzed:
			e.Ranges = (e.Rows + int64(c.Size) - 1) / int64(c.Size)
		}
		out = append(out, e)
	}
	return out
}
