package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"

	ics "github.com/arran4/golang-ical"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
)

// calendarSource is what the calendar routes need of a fleet.
type calendarSource interface {
	// Calendar returns the upcoming upgrades of a tenant, a tier or the
	// fleet (see herd.Fleet.Calendar).
	Calendar(ctx context.Context, req herd.CalendarRequest) (herd.Calendar, error)
	// CalendarKeyOpens reports whether key is the signature of the feed
	// req names (see herd.Fleet.CalendarURL).
	CalendarKeyOpens(ctx context.Context, req herd.CalendarRequest, key string) (bool, error)
}

// calendars answers the iCalendar (RFC 5545) routes: GET
// /calendar/{tenant}.ics and GET /calendar.ics?tier=T, each taking
// weeks=N (how far ahead) and key=HEX (a signed feed URL's key, which
// the server's access check reads: see keyOrViewer).
type calendars struct {
	fleet calendarSource
	log   *slog.Logger
}

// tenant answers /calendar/{file}: a tenant's calendar when file is its
// code followed by .ics, 404 when it is not, or when no tenant has that
// code.
func (c calendars) tenant(w http.ResponseWriter, r *http.Request) {
	code, ok := strings.CutSuffix(r.PathValue("file"), ".ics")
	if !ok || code == "" {
		writeJSON(w, http.StatusNotFound, generalError{ErrorDetails: "not found: a tenant's calendar is /calendar/{tenant}.ics"})
		return
	}
	req, err := calendarRequest(r, "weeks", "key")
	if err != nil {
		writeJSON(w, http.StatusBadRequest, generalError{ErrorDetails: err.Error()})
		return
	}
	req.Tenant = code
	c.serve(w, r, req)
}

// tier answers /calendar.ics: the calendar of one tier's tenants, or of
// every tenant without tier.
func (c calendars) tier(w http.ResponseWriter, r *http.Request) {
	req, err := calendarRequest(r, "tier", "weeks", "key")
	if err != nil {
		writeJSON(w, http.StatusBadRequest, generalError{ErrorDetails: err.Error()})
		return
	}
	c.serve(w, r, req)
}

// calendarRequest reads the query of a calendar route, which may hold
// the parameters known, each once.
func calendarRequest(r *http.Request, known ...string) (herd.CalendarRequest, error) {
	var req herd.CalendarRequest
	q := r.URL.Query()
	for name, values := range q {
		switch {
		case !slices.Contains(known, name):
			return req, fmt.Errorf("calendar: unknown parameter %q (known: %s)", name, strings.Join(known, ", "))
		case len(values) > 1:
			return req, fmt.Errorf("calendar: parameter %q given %d times", name, len(values))
		}
	}
	if q.Has("tier") {
		if req.Tier = q.Get("tier"); req.Tier == "" {
			return req, errors.New("calendar: tier must not be empty (leave it out for every tenant)")
		}
	}
	if q.Has("weeks") {
		n, err := strconv.Atoi(q.Get("weeks"))
		if err != nil || n < 1 || n > herd.MaxCalendarWeeks {
			return req, fmt.Errorf("calendar: weeks %q: want a whole number from 1 to %d", q.Get("weeks"), herd.MaxCalendarWeeks)
		}
		req.Weeks = n
	}
	return req, nil
}

// keyOrViewer lets a calendar request through when it comes from a
// viewer or an operator (as viewer does), or when its key parameter
// opens the feed it asks for: a calendar application cannot send a
// token, so a signed feed URL (herd calendar url) carries its own. A key
// that does not open the feed (another feed's, one signed before the
// key was rotated, or none at all) is refused with 403; the key opens
// nothing but the calendar routes this wraps.
func (c calendars) keyOrViewer(s *server, next http.Handler) http.Handler {
	viewer := s.viewer(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if _, problem := s.identify(r); problem == tokenOK || !q.Has("key") {
			viewer.ServeHTTP(w, r)
			return
		}
		req := herd.CalendarRequest{Tier: q.Get("tier")}
		if file := r.PathValue("file"); file != "" {
			req = herd.CalendarRequest{Tenant: strings.TrimSuffix(file, ".ics")}
		}
		ok, err := c.fleet.CalendarKeyOpens(r.Context(), req, q.Get("key"))
		switch {
		case err != nil:
			c.log.Error("herd serve: check a calendar key", "tenant", req.Tenant, "tier", req.Tier, "err", err)
			writeJSON(w, http.StatusServiceUnavailable, generalError{ErrorDetails: "the control database could not be read"})
		case !ok:
			writeJSON(w, http.StatusForbidden, generalError{ErrorDetails: "calendar: the key does not open this calendar " +
				"(a feed's key opens that feed only, and rotating the calendar key stops the old ones): ask for its address again with herd calendar url"})
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// serve reads the calendar req asks for and writes it as text/calendar:
// 404 for an unknown tenant, 400 for other bad input, 503 when the
// control database cannot be read.
func (c calendars) serve(w http.ResponseWriter, r *http.Request, req herd.CalendarRequest) {
	cal, err := c.fleet.Calendar(r.Context(), req)
	switch {
	case errors.Is(err, control.ErrTenantNotFound):
		writeJSON(w, http.StatusNotFound, generalError{ErrorDetails: fmt.Sprintf("calendar: no tenant %q", req.Tenant)})
		return
	case herd.IsInputError(err):
		writeJSON(w, http.StatusBadRequest, generalError{ErrorDetails: err.Error()})
		return
	case err != nil:
		c.log.Error("herd serve: read a calendar", "tenant", req.Tenant, "tier", req.Tier, "err", err)
		writeJSON(w, http.StatusServiceUnavailable, generalError{ErrorDetails: "the control database could not be read"})
		return
	}
	var body bytes.Buffer
	if err := encodeCalendar(&body, cal); err != nil {
		c.log.Error("herd serve: write a calendar", "tenant", req.Tenant, "tier", req.Tier, "err", err)
		writeJSON(w, http.StatusInternalServerError, generalError{ErrorDetails: "the calendar could not be written"})
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/calendar; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	w.Write(body.Bytes()) //nolint:errcheck // the client went away; nothing to do
}

// encodeCalendar writes cal as an RFC 5545 VCALENDAR: CRLF line ends,
// lines folded at 75 octets, text escaped, every time in UTC. Maintenance
// windows are transparent (they do not make anyone busy); upgrades are
// opaque.
func encodeCalendar(w io.Writer, cal herd.Calendar) error {
	out := ics.NewCalendarFor("herd")
	out.SetProductId("-//herd//upgrade calendar//EN")
	out.SetMethod(ics.MethodPublish)
	out.SetName(cal.Name)
	out.SetXPublishedTTL("PT1H")
	out.SetRefreshInterval("PT1H")
	desc := fmt.Sprintf("Upcoming upgrades and maintenance windows until %s (UTC).", cal.Until.UTC().Format("2006-01-02 15:04"))
	if cal.Truncated {
		desc += fmt.Sprintf(" Only the first %d events are listed.", herd.MaxCalendarEvents)
	}
	out.SetXWRCalDesc(desc)
	for _, ev := range cal.Events {
		e := out.AddEvent(ev.UID)
		e.SetDtStampTime(cal.Generated)
		e.SetStartAt(ev.Start)
		if !ev.End.IsZero() {
			e.SetEndAt(ev.End)
		}
		e.SetSummary(ev.Summary)
		e.SetDescription(ev.Description)
		e.AddProperty(ics.ComponentPropertyCategories, string(ev.Kind))
		if ev.Kind == herd.CalendarMaintenance {
			e.SetTimeTransparency(ics.TransparencyTransparent)
		} else {
			e.SetTimeTransparency(ics.TransparencyOpaque)
		}
	}
	return out.SerializeTo(w, ics.WithNewLineWindows)
}
