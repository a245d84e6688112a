package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/event"
)

// renderer shows a rollout's events (the fleet events of the run's event
// stream): progress bars per wave and overall on
// a terminal, one plain line per event otherwise, or one JSON object per
// line with --json. It is an event.Sink and safe for concurrent use.
type renderer struct {
	mu      sync.Mutex
	w       io.Writer
	mode    string   // "json", "bars" or "lines"
	tty     *os.File // the terminal the bars draw on
	bars    *mpb.Progress
	overall *mpb.Bar
	waves   map[string]*mpb.Bar
	// chunks are the bars of chunked migrations under way.
	chunks *chunkBars
}

func (a *app) newRenderer(asJSON bool) *renderer {
	r := &renderer{w: a.out, mode: "lines", waves: map[string]*mpb.Bar{}}
	if asJSON {
		r.mode = "json"
	} else if tty := terminal(a.env.Stdout); tty != nil {
		// mpb draws only on a terminal it can see; bars show codes and
		// counts, never a DSN, so they bypass the redactor.
		r.mode, r.tty = "bars", tty
	}
	return r
}

// terminal returns the terminal behind w (through the redactor), or nil.
func terminal(w io.Writer) *os.File {
	if rw, ok := w.(redactingWriter); ok {
		w = rw.w
	}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return f
	}
	return nil
}

// above returns a writer that prints w's lines above bars, through w's
// redactor when it has one.
func above(w io.Writer, bars *mpb.Progress) io.Writer {
	if rw, ok := w.(redactingWriter); ok {
		return redactingWriter{rw.r, bars}
	}
	return bars
}

// begin sets up the bars for a rollout's items; plain and JSON output
// need nothing.
func (r *renderer) begin(ro herd.Rollout, items []herd.RolloutItem) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.mode != "bars" || r.bars != nil {
		return
	}
	r.bars = mpb.New(mpb.WithOutput(r.tty), mpb.WithWidth(40))
	r.chunks = newChunkBars(r.bars)
	perWave := map[string]int{}
	var order []string
	done := map[string]int{}
	for _, it := range items {
		if perWave[it.WaveName] == 0 {
			order = append(order, it.WaveName)
		}
		perWave[it.WaveName]++
		if it.Terminal() {
			done[it.WaveName]++
		}
	}
	for _, name := range order {
		b := r.bars.AddBar(int64(perWave[name]),
			mpb.PrependDecorators(decor.Name(fmt.Sprintf("wave %-10s", name)), decor.CountersNoUnit(" %d/%d")),
			mpb.AppendDecorators(decor.Percentage()))
		b.SetCurrent(int64(done[name]))
		r.waves[name] = b
	}
	r.overall = r.bars.AddBar(int64(len(items)),
		mpb.PrependDecorators(decor.Name(fmt.Sprintf("rollout %-7d", ro.ID)), decor.CountersNoUnit(" %d/%d")),
		mpb.AppendDecorators(decor.Percentage()))
	total := 0
	for _, n := range done {
		total += n
	}
	r.overall.SetCurrent(int64(total))
}

// Send renders one fleet event, or a chunked migration's progress; other
// step events (event.Type.Step) are the migrate command's, not a
// rollout's, and are passed over.
func (r *renderer) Send(e event.Event) {
	if e.Type.Step() && e.Type != event.Chunk && e.Type != event.ChunkThrottled {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch r.mode {
	case "json":
		b, _ := json.Marshal(e) // an Event always marshals
		fmt.Fprintf(r.w, "%s\n", b)
	case "bars":
		if r.bars == nil {
			return
		}
		switch e.Type {
		case event.TenantDone, event.TenantFailed, event.TenantRolledBack, event.TenantSkipped:
			if b := r.waves[e.Wave]; b != nil {
				b.Increment()
			}
			r.overall.Increment()
		}
		if e.Type == event.Chunk {
			r.chunks.update(e)
			return
		}
		if e.Type == event.TenantFailed || e.Type == event.TenantRolledBack || e.Type == event.RolloutHalted || e.Type == event.ChunkThrottled {
			r.bars.Write([]byte(line(e) + "\n")) //nolint:errcheck // best effort above the bars
		}
	default:
		fmt.Fprintln(r.w, line(e))
	}
}

// line is an event as one line of text.
func line(e event.Event) string {
	if e.Type == event.Chunk {
		return e.Time.Format("15:04:05") + " " + chunkLine(e)
	}
	if e.Type == event.ChunkThrottled {
		return e.Time.Format("15:04:05") + " " + throttleLine(e)
	}
	s := fmt.Sprintf("%s %s", e.Time.Format("15:04:05"), e.Type)
	if e.Rollout != 0 {
		s += fmt.Sprintf(" rollout=%d", e.Rollout)
	}
	if e.Wave != "" {
		s += " wave=" + e.Wave
	}
	if e.Tenant != "" {
		s += " tenant=" + e.Tenant
	}
	if e.To != "" {
		s += " to=v" + e.To
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// chunkLine is a Chunk event as one line of text: the database, the
// migration, the rows changed so far and the last range done.
func chunkLine(e event.Event) string {
	c := e.Chunk
	if c == nil {
		return fmt.Sprintf("%s: %s chunk", e.Database, e.Migration)
	}
	state := "running"
	if c.Done {
		state = "done"
	}
	throttled := ""
	if c.Throttled > 0 {
		throttled = fmt.Sprintf(", throttled %s", c.Throttled.Round(time.Millisecond))
	}
	return fmt.Sprintf("%s: %s chunked %s: %d rows, %s up to %s (%d ranges this run, next size %d%s)",
		e.Database, e.Migration, state, c.Rows, c.Key, orNone(c.To), c.Ranges, c.Size, throttled)
}

// throttleLine is a ChunkThrottled event as one line of text: the
// database, the migration, what the server's probe read and how long the
// wait has lasted.
func throttleLine(e event.Event) string {
	t := e.Throttle
	if t == nil {
		return fmt.Sprintf("%s: %s throttled", e.Database, e.Migration)
	}
	return fmt.Sprintf("%s: %s throttled: server %s's probe reads %g, over max %g (waited %s so far)",
		e.Database, e.Migration, t.Server, t.Value, t.Max, t.Waited.Round(time.Millisecond))
}

// close stops the bars, leaving them drawn.
func (r *renderer) close() {
	r.mu.Lock()
	bars := r.bars
	r.mu.Unlock()
	if bars == nil {
		return
	}
	r.mu.Lock()
	r.chunks.abort()
	r.mu.Unlock()
	if r.overall != nil {
		r.overall.Abort(false)
	}
	for _, b := range r.waves {
		b.Abort(false)
	}
	bars.Wait()
}
