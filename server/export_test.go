package server

import (
	"context"
	"net/http"
	"time"

	"github.com/herdhq/herd"
)

// NewTicked is New with the live updates' poller ticking on ticks, so
// that a test decides when it reads.
func NewTicked(fleet Fleet, opts Options, ticks <-chan time.Time) http.Handler {
	return newServer(fleet, opts, hooks{ticks: func() (<-chan time.Time, func()) { return ticks, func() {} }})
}

// NewRollbackHooked is New with each tenant outcome of an emergency
// rollback handed to rolledBack, with the context that Shutdown ends,
// before the rollback goes on.
func NewRollbackHooked(fleet Fleet, opts Options, rolledBack func(context.Context, herd.RolledBack)) *Server {
	return newServer(fleet, opts, hooks{rolledBack: rolledBack})
}
