package bench

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// usage is what this process has consumed so far. Fields a platform cannot
// tell stay 0.
type usage struct {
	// CPU is user plus system time.
	CPU time.Duration
	// ReadCalls and WriteCalls count read and write system calls (Linux:
	// syscr and syscw of /proc/self/io). A client's queries to a server are
	// socket writes, a SQLite commit is file writes, so WriteCalls tracks
	// round trips and page writes.
	ReadCalls, WriteCalls int64
}

// sub is u less earlier.
func (u usage) sub(earlier usage) usage {
	return usage{CPU: u.CPU - earlier.CPU, ReadCalls: u.ReadCalls - earlier.ReadCalls, WriteCalls: u.WriteCalls - earlier.WriteCalls}
}

// readUsage reads this process's usage.
func readUsage() usage {
	u := usage{CPU: cpuTime()}
	if data, err := os.ReadFile("/proc/self/io"); err == nil {
		fields := procFields(data)
		u.ReadCalls, u.WriteCalls = fields["syscr"], fields["syscw"]
	}
	return u
}

// peakRSS returns this process's peak resident set size in bytes (VmHWM of
// /proc/self/status, since the last resetPeakRSS), or 0 where it is not
// available.
func peakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	return procFields(data)["VmHWM"] * 1024 // kB
}

// resetPeakRSS returns unused heap to the operating system and then resets
// the peak resident set size to the current one (Linux 4.0 and later:
// "5" to /proc/self/clear_refs), so that peakRSS measures from here on. It
// reports whether the reset took place.
func resetPeakRSS() bool {
	runtime.GC()
	debug.FreeOSMemory()
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// procFields parses "Name: value [unit]" and "name: value" lines into
// numbers, skipping what does not parse.
func procFields(data []byte) map[string]int64 {
	out := map[string]int64{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
			out[name] = n
		}
	}
	return out
}
