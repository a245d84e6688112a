package herd

import (
	"context"
	"strconv"

	"github.com/herdhq/herd/control"
)

// AuditEntry is one entry of the audit log: who did what to what, when.
type AuditEntry = control.AuditEntry

// AuditQuery selects a page of AuditLog.
type AuditQuery struct {
	// Actor and Action, when set, keep the entries that have them.
	Actor, Action string
	// Page starts at the newest entry.
	Page
}

// AuditPage is one page of the audit log, newest first.
type AuditPage struct {
	Entries []AuditEntry `json:"entries"`
	// Next is the Cursor of the following (older) page; "" when this
	// page is the last.
	Next string `json:"next,omitempty"`
}

// AuditLog returns the entries of the audit log q selects, newest first,
// a page at a time. A cursor herd did not hand out or a limit out of
// bounds is an input error wrapping a *QueryError that names the
// parameter.
func (f *Fleet) AuditLog(ctx context.Context, q AuditQuery) (AuditPage, error) {
	limit, err := pageLimit(q.Limit)
	if err != nil {
		return AuditPage{}, err
	}
	filter := control.AuditFilter{Actor: q.Actor, Action: q.Action, Limit: limit + 1}
	if filter.Before, err = idCursor(q.Cursor, "audit"); err != nil {
		return AuditPage{}, err
	}
	entries, err := f.control.AuditPage(ctx, filter)
	if err != nil {
		return AuditPage{}, err
	}
	entries, next := page(entries, limit, func(e AuditEntry) cursor { return idKey("audit", e.ID) })
	return AuditPage{Entries: entries, Next: next}, nil
}

// idKey is the cursor of list, paged by id, after id.
func idKey(list string, id int64) cursor { return cursor{list, strconv.FormatInt(id, 10)} }

// idCursor decodes a cursor of list, paged by id: 0 for the first page.
func idCursor(s, list string) (int64, error) {
	c, err := parseCursor(s, list, 1)
	if err != nil || c == nil {
		return 0, err
	}
	return intKey(c[0])
}
