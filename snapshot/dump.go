package snapshot

import (
	"fmt"
	"strings"
)

// maxDumpLines bounds how many differing lines a DumpDiffError lists.
const maxDumpLines = 20

// DumpDiffError is CompareDumps's report that two schema dumps differ.
type DumpDiffError struct {
	// A and B name the dumped databases.
	A, B string
	// OnlyA and OnlyB are the lines found in one dump and not the other
	// (as many times as they are missing), in dump order.
	OnlyA, OnlyB []string
}

// Error lists the first differing lines of each side.
func (e *DumpDiffError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "snapshot: the schema dumps of %q and %q differ", e.A, e.B)
	list := func(name string, lines []string) {
		for i, l := range lines {
			if i == maxDumpLines {
				fmt.Fprintf(&b, "\n  … and %d more lines only in %q", len(lines)-i, name)
				return
			}
			fmt.Fprintf(&b, "\n  only in %q: %s", name, l)
		}
	}
	list(e.A, e.OnlyA)
	list(e.B, e.OnlyB)
	return b.String()
}

// CompareDumps compares two schema dumps of one engine (a
// dialect.SchemaDumper's) of databases named an and bn. It returns nil
// when they are equal, else a *DumpDiffError with the lines each has that
// the other lacks. It is safe for concurrent use.
func CompareDumps(an, a, bn, b string) error {
	if a == b {
		return nil
	}
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	count := map[string]int{}
	for _, l := range lb {
		count[l]++
	}
	e := &DumpDiffError{A: an, B: bn}
	for _, l := range la {
		if count[l] > 0 {
			count[l]--
			continue
		}
		e.OnlyA = append(e.OnlyA, l)
	}
	for _, l := range lb {
		if count[l] > 0 {
			count[l]--
			e.OnlyB = append(e.OnlyB, l)
		}
	}
	if len(e.OnlyA) == 0 && len(e.OnlyB) == 0 {
		// The same lines in another order: where the first differs.
		for i := range min(len(la), len(lb)) {
			if la[i] != lb[i] {
				e.OnlyA, e.OnlyB = []string{fmt.Sprintf("line %d: %s", i+1, la[i])}, []string{fmt.Sprintf("line %d: %s", i+1, lb[i])}
				break
			}
		}
	}
	return e
}
