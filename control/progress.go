package control

import (
	"context"
	"fmt"
	"time"
)

// ChunkProgress is how far a chunked migration begun and not finished has
// got in one database, as the run last recorded it.
type ChunkProgress struct {
	Ref
	Migration string `json:"migration"`
	// Table is the table walked; LastKey the last key of the last range
	// that committed, as text.
	Table   string `json:"table"`
	LastKey string `json:"last_key"`
	// Rows counts the rows the statement changed, over every run.
	Rows int64 `json:"rows"`
	// Share is how much of an integer key's span the walk has covered,
	// from 0 to 1; 0 for a text key.
	Share     float64   `json:"share"`
	UpdatedAt time.Time `json:"updated_at"`
}

// SetChunkProgress records p as the progress of p.Migration in p's
// database, replacing what it had. The chunk progress's table came with
// control schema 1.12.0, above AttachVersion: it is a Store's.
func (s *Store) SetChunkProgress(ctx context.Context, p ChunkProgress) error {
	_, err := s.exec(ctx, s.q.chunkProgressUpsert, string(p.Type), p.Identifier, p.Migration, p.Table, p.LastKey,
		p.Rows, p.Share, p.UpdatedAt.UTC())
	if err != nil {
		return fmt.Errorf("control: record the progress of %s in %s: %w", p.Migration, p.Ref, err)
	}
	return nil
}

// EndChunkProgress forgets migration's progress in ref's database: its
// walk is done.
func (s *Store) EndChunkProgress(ctx context.Context, ref Ref, migration string) error {
	if _, err := s.exec(ctx, s.q.chunkProgressDelete, string(ref.Type), ref.Identifier, migration); err != nil {
		return fmt.Errorf("control: end the progress of %s in %s: %w", migration, ref, err)
	}
	return nil
}

// ChunkProgresses lists the progress of every chunked migration begun and
// not finished, in the system database and in registered tenants, by
// database and migration.
func (s *Store) ChunkProgresses(ctx context.Context) ([]ChunkProgress, error) {
	rows, err := s.db.DB.QueryContext(ctx, s.q.chunkProgressList)
	if err != nil {
		return nil, fmt.Errorf("control: list chunked migrations' progress: %w", err)
	}
	defer rows.Close()
	var out []ChunkProgress
	for rows.Next() {
		var p ChunkProgress
		if err := rows.Scan(&p.Type, &p.Identifier, &p.Migration, &p.Table, &p.LastKey, &p.Rows, &p.Share,
			&p.UpdatedAt); err != nil {
			return nil, fmt.Errorf("control: list chunked migrations' progress: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("control: list chunked migrations' progress: %w", err)
	}
	return out, nil
}
