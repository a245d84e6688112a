package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/herdhq/herd"
)

// Interrupts returns a channel that receives the process's SIGINT and
// SIGTERM, for Env.Signals.
func Interrupts() <-chan os.Signal {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	return sigs
}

// interrupts decides what a signal does to the running command. The first
// requests the graceful stop of the command's context, once the command
// has asked for one (graceful), and otherwise cancels the run; any later
// one cancels it.
type interrupts struct {
	cancel context.CancelFunc
	stderr io.Writer

	mu      sync.Mutex
	stop    context.CancelFunc // set by graceful, called by the first signal
	stopped bool
}

// watch handles the signals from sigs until done is closed.
func (in *interrupts) watch(sigs <-chan os.Signal, done <-chan struct{}) {
	for {
		select {
		case <-sigs:
			in.interrupt()
		case <-done:
			return
		}
	}
}

func (in *interrupts) interrupt() {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.stop == nil || in.stopped {
		in.cancel()
		return
	}
	in.stop()
	in.stopped = true
	fmt.Fprintln(in.stderr, "herd: stopping: no new tenant is claimed and those in flight finish; interrupt again to stop at once")
}

// graceful returns a copy of ctx whose graceful stop (herd.WithStop) the
// first signal requests instead of cancelling the run.
func (in *interrupts) graceful(ctx context.Context) context.Context {
	in.mu.Lock()
	defer in.mu.Unlock()
	ctx, in.stop = herd.WithStop(ctx)
	return ctx
}
