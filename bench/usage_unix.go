//go:build unix

package bench

import (
	"syscall"
	"time"
)

// cpuTime is this process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// syncDisks asks the kernel to write every dirty page out (sync(2)).
func syncDisks() { syscall.Sync() }
