package cli

import (
	"fmt"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/herdhq/herd/event"
)

// chunkBars draws a bar per chunked migration under way, on a terminal:
// the share of its key's span done, the rows changed, their rate, and the
// time left at the recent pace. It is fed Chunk events and is not safe for
// concurrent use (its callers hold their own lock); the figures a bar
// shows are guarded for mpb's drawing goroutine.
type chunkBars struct {
	p    *mpb.Progress
	bars map[string]*chunkBar // by database and migration
}

// barScale is a bar's total: its share done in thousandths.
const barScale = 1000

func newChunkBars(p *mpb.Progress) *chunkBars {
	return &chunkBars{p: p, bars: map[string]*chunkBar{}}
}

// chunkBar is one chunked migration's bar and the figures it shows.
type chunkBar struct {
	bar *mpb.Bar
	mu  sync.Mutex
	// rows is the rows changed in all; first and firstRows are when this
	// bar saw its first event and the rows then, for the rate; last is
	// when it saw the latest.
	rows, firstRows int64
	first, last     time.Time
}

// update moves the bar of e's migration, adding it on its first event,
// and completes it on the last.
func (c *chunkBars) update(e event.Event) {
	p := e.Chunk
	if p == nil {
		return
	}
	id := e.Database + " " + e.Migration
	b := c.bars[id]
	current := int64(p.Share * barScale)
	if b == nil {
		b = &chunkBar{first: e.Time, firstRows: p.Rows}
		b.bar = c.p.AddBar(barScale,
			mpb.PrependDecorators(decor.Name(fmt.Sprintf("%s %s ", e.Database, p.Table))),
			mpb.AppendDecorators(decor.Percentage(), decor.Any(b.figures), decor.EwmaETA(decor.ET_STYLE_GO, 30)))
		b.bar.SetCurrent(current)
		c.bars[id] = b
	} else {
		b.bar.EwmaSetCurrent(current, e.Time.Sub(b.last))
	}
	b.mu.Lock()
	b.rows, b.last = p.Rows, e.Time
	b.mu.Unlock()
	if p.Done {
		b.bar.SetCurrent(barScale)
		delete(c.bars, id)
	}
}

// figures is the bar's rows and rate, as a decorator draws them.
func (b *chunkBar) figures(decor.Statistics) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := fmt.Sprintf(" %d rows", b.rows)
	if took := b.last.Sub(b.first).Seconds(); took > 0 {
		out += fmt.Sprintf(", %.0f rows/s", float64(b.rows-b.firstRows)/took)
	}
	return out + ", left "
}

// abort stops the bars of migrations that did not finish, leaving them
// drawn.
func (c *chunkBars) abort() {
	for id, b := range c.bars {
		b.bar.Abort(false)
		delete(c.bars, id)
	}
}
