package config

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// syntax records a YAML syntax error at its line, as "invalid YAML: …".
//
// yaml.v3 reports the line of a parser error 0-based and at the start of
// the enclosing construct, and omits the line of errors on line 1. So the
// line is found again: it is the first line whose prefix of the file fails
// with the same error. yaml.v3's own line is the fallback.
func (p *parser) syntax(data []byte, err error) {
	yamlLine, msg := splitYAMLError(err)
	line := yamlLine
	if l := syntaxLine(data, yamlLine, msg); l > 0 {
		line = l
	}
	p.add(line, "invalid YAML: %s", msg)
}

// splitYAMLError splits "yaml: line N: msg" into N (0 when absent) and msg.
func splitYAMLError(err error) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, after, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil {
				return n, after
			}
		}
	}
	return 0, msg
}

// syntaxLine returns the first line k such that the file's first k lines
// fail with the error (line, msg), or 0 when there is none.
//
// Whether a prefix fails so is monotone in its length: the parser stops at
// the first error, so every prefix that reaches the error's line fails with
// it, and a shorter one either parses or fails otherwise (at its truncated
// end). That allows a binary search, from yaml.v3's line, which is at or
// before the real one (it is the 0-based line of the construct that holds
// the error).
func syntaxLine(data []byte, line int, msg string) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	ends := make([]int, len(lines)) // ends[k-1] is the length of the first k lines
	end := 0
	for i, l := range lines {
		end += len(l)
		ends[i] = end
	}
	fails := func(k int) bool {
		err := yamlError(data[:ends[k-1]])
		if err == nil {
			return false
		}
		kl, km := splitYAMLError(err)
		return km == msg && kl == line
	}
	lo, hi := max(line, 1), len(lines)
	if lo > hi || !fails(hi) {
		return 0
	}
	for lo < hi {
		mid := lo + (hi-lo)/2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// yamlError returns the first syntax error of the documents in data.
func yamlError(data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
