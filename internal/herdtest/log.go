package herdtest

import (
	"strings"
	"sync"
)

// Log is a log's text that any goroutine may write while a test reads
// it: the destination of a slog handler whose output a test checks.
type Log struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns everything written so far.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
