package server

import (
	"net/http"
	"time"
)

// NewTicked is New with the live updates' poller ticking on ticks, so
// that a test decides when it reads.
func NewTicked(fleet Fleet, opts Options, ticks <-chan time.Time) http.Handler {
	return newHandler(fleet, opts, func() (<-chan time.Time, func()) { return ticks, func() {} })
}
