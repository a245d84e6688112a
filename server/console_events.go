package server

import (
	"bytes"
	"net/http"
	"time"
)

// events streams a rollout's progress as server-sent events: each event
// "progress" carries the page's progress fragment, rendered for the
// viewer's role, whenever the shared poller finds the rollout changed.
// Opening a stream reads nothing itself.
func (c *console) events(w http.ResponseWriter, r *http.Request, p principal) {
	id, ok := c.rolloutID(w, r, p)
	if !ok {
		return
	}
	watch := c.live.watch(id) // before the stream opens: a client that saw it open is watching
	defer c.live.unwatch(watch)
	rc := http.NewResponseController(w)
	// A stream outlives the server's write timeout; clearing the deadline
	// is not supported by every ResponseWriter (httptest's is), which is
	// no reason not to stream.
	rc.SetWriteDeadline(time.Time{}) //nolint:errcheck // see above
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write([]byte("retry: 3000\n\n")); err != nil {
		return
	}
	if err := rc.Flush(); err != nil {
		return
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case f := <-watch.frames:
			body := f.viewer
			if p.role >= Operator {
				body = f.operator
			}
			if _, err := w.Write(sseEvent("progress", body)); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
		}
	}
}

// sseEvent encodes one server-sent event: its type, then each line of
// data as a data: line.
func sseEvent(event string, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString("event: " + event + "\n")
	for line := range bytes.Lines(data) {
		b.WriteString("data: ")
		b.Write(bytes.TrimRight(line, "\r\n"))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	return b.Bytes()
}
