package execute

import (
	"context"
	"errors"

	"github.com/herdhq/herd/source"
)

// ErrChunksNotCalled marks a chunked Go migration whose Up returned
// without walking its key through Chunker.Chunks.
var ErrChunksNotCalled = errors.New("chunked Go migration's Up returned without calling Chunks on the db it received")

// chunkDB is what a chunked Go migration's Up receives: the session's
// connection (outside any transaction), which is also a source.Chunker
// whose Chunks walks the migration's key as a chunked SQL migration's is
// walked.
type chunkDB struct {
	source.DB
	r *ranges
}

// Chunks walks the key, running fn for each range left (see ranges.walk).
func (d chunkDB) Chunks(ctx context.Context, fn source.RangeFunc) error {
	if fn == nil {
		return errors.New("Chunks: the range function is nil")
	}
	return d.r.walk(ctx, fn)
}

// goUp runs a chunked Go migration's Up, which walks the key through the
// db it receives.
func (r *ranges) goUp(ctx context.Context) error {
	if err := r.a.run(ctx, chunkDB{DB: r.s.conn, r: r}); err != nil {
		return err
	}
	if !r.walked {
		return ErrChunksNotCalled
	}
	return nil
}
