package execute

import (
	"context"
	"errors"

	"github.com/herdhq/herd/source"
)

// ErrChunksNotCalled marks a chunked Go migration whose Up returned
// without walking its key through source.Chunker.Chunks.
var ErrChunksNotCalled = errors.New("chunked Go migration's Up returned without calling Chunks on the db it received")

// chunkDB is what a chunked Go migration's Up receives: a source.DB (the
// session's connection outside any transaction, or the step's
// transaction when the migration runs whole) that is also a
// source.Chunker, whose Chunks walks the migration's key with walk.
type chunkDB struct {
	source.DB
	walk func(ctx context.Context, fn source.RangeFunc) error
	// called is set once Chunks was called: a run walks the key once.
	called bool
}

// Chunks walks the key, running fn for each range left.
func (d *chunkDB) Chunks(ctx context.Context, fn source.RangeFunc) error {
	switch {
	case fn == nil:
		return errors.New("Chunks: the range function is nil")
	case d.called:
		return errors.New("Chunks: the key is walked once per run, and it was walked already")
	}
	d.called = true
	return d.walk(ctx, fn)
}

// runChunkedGo runs chunked Go migration a's Up on db, whose Chunks walks
// the key with walk, and fails it when Up never called Chunks.
func runChunkedGo(ctx context.Context, a action, db source.DB, walk func(context.Context, source.RangeFunc) error) error {
	d := &chunkDB{DB: db, walk: walk}
	if err := a.run(ctx, d); err != nil {
		return err
	}
	if !d.called {
		return ErrChunksNotCalled
	}
	return nil
}
