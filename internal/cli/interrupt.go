package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// Interrupts returns a channel that receives the process's SIGINT and
// SIGTERM, for Env.Signals.
func Interrupts() <-chan os.Signal {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	return sigs
}

// interrupts decides what a signal does to the running command. The first
// stops a rollout runner gracefully, once the command has asked for that
// (graceful), and otherwise cancels the run; any later one cancels it.
type interrupts struct {
	cancel context.CancelFunc
	stderr io.Writer

	mu   sync.Mutex
	stop chan struct{} // made by graceful, closed by the first signal
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
	if in.stop == nil || isClosed(in.stop) {
		in.cancel()
		return
	}
	close(in.stop)
	fmt.Fprintln(in.stderr, "herd: stopping: no new tenant is claimed and those in flight finish; interrupt again to stop at once")
}

// graceful returns a channel that the first signal closes instead of
// cancelling the run.
func (in *interrupts) graceful() <-chan struct{} {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.stop == nil {
		in.stop = make(chan struct{})
	}
	return in.stop
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
