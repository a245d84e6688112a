package herd

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The bounds of a page's limit in the console's lists (TenantPage,
// AuditLog, RolloutList, RolloutItems).
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 500
)

// Page is where a page of a list starts and how long it is.
type Page struct {
	// Cursor is the Next of the page before; "" is the first page.
	Cursor string
	// Limit is how many rows at most: 0 is DefaultPageLimit, the most is
	// MaxPageLimit.
	Limit int
}

// QueryError is what is wrong with one parameter of a list's query: a
// filter value herd does not know, a cursor it did not hand out, a limit
// out of bounds. It comes wrapped in an *InputError; Param is the
// parameter's name as herd serve's API takes it ("status", "cursor").
type QueryError struct {
	Param string
	Err   error
}

func (e *QueryError) Error() string { return fmt.Sprintf("parameter %s: %v", e.Param, e.Err) }

// Unwrap returns the cause.
func (e *QueryError) Unwrap() error { return e.Err }

// badParam returns the input error of parameter param, its message
// formatted as by fmt.Sprintf.
func badParam(param, format string, args ...any) error {
	return &InputError{Err: &QueryError{Param: param, Err: fmt.Errorf(format, args...)}}
}

// pageLimit returns limit, DefaultPageLimit for 0, or the input error of
// a limit out of bounds.
func pageLimit(limit int) (int, error) {
	switch {
	case limit == 0:
		return DefaultPageLimit, nil
	case limit < 0 || limit > MaxPageLimit:
		return 0, badParam("limit", "%d: want 1 to %d", limit, MaxPageLimit)
	}
	return limit, nil
}

// oneOf checks that value, when set, is one of allowed, and returns the
// input error of parameter param otherwise.
func oneOf[S ~string](param, value string, allowed []S) error {
	if value == "" || slices.Contains(allowed, S(value)) {
		return nil
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return badParam(param, "%q: want one of %s", value, strings.Join(names, ", "))
}

// cursor is where a page starts: the list's name, then the key of the
// last row of the page before it, which a client gets as an opaque string
// (Next) and hands back (Cursor) unchanged.
type cursor []string

// errCursor is the cause of a cursor herd did not hand out.
var errCursor = errors.New("not a cursor of this list: pass the next of the previous page unchanged")

// String encodes c for a client.
func (c cursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(c, "\x00")))
}

// parseCursor decodes s, a cursor of list whose key has parts parts, and
// returns the key ("" is the first page: nil), or the input error of a
// cursor herd did not hand out for list.
func parseCursor(s, list string, parts int) (cursor, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	c := cursor(strings.Split(string(b), "\x00"))
	if err != nil || len(c) != parts+1 || c[0] != list || slices.Contains(c, "") {
		return nil, &InputError{Err: &QueryError{Param: "cursor", Err: errCursor}}
	}
	return c[1:], nil
}

// intKey returns key as a number, or the input error of a cursor herd
// did not hand out.
func intKey(key string) (int64, error) {
	n, err := strconv.ParseInt(key, 10, 64)
	if err != nil {
		return 0, &InputError{Err: &QueryError{Param: "cursor", Err: errCursor}}
	}
	return n, nil
}

// page cuts rows, read with one more than limit, to limit and returns
// the cursor of the page after it: "" when this page is the last.
func page[T any](rows []T, limit int, key func(T) cursor) ([]T, string) {
	if len(rows) <= limit {
		return nonNil(rows), ""
	}
	return rows[:limit], key(rows[limit-1]).String()
}
