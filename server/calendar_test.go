package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/rollout"
	"github.com/herdhq/herd/server"

	schoolerp "github.com/herdhq/herd/examples/school-erp"
)

func (failingFleet) Calendar(context.Context, herd.CalendarRequest) (herd.Calendar, error) {
	return herd.Calendar{}, fmt.Errorf("control: read tenants: connection refused")
}

// calendarYAML gives tier gold a Saturday-night window in Kolkata and
// tenant alpha (of tier gold) its own, in London, wrapping past midnight.
const calendarYAML = `serve:
  public_url: https://herd.example.com/ops
maintenance_windows:
  tiers:
    gold: {days: [sat], hours: "01:00-05:00", time_zone: Asia/Kolkata}
  tenants:
    alpha: {days: [sun, wed], hours: "22:00-02:00", time_zone: Europe/London}
`

// calendarFleet registers alpha, beta and gamma (tier gold) and delta
// (standard, no window) at v1.0.0 and schedules a rollout of alpha, beta
// and delta to v1.1.0 for Saturday 2026-11-28 00:00 UTC, by a clock that
// reads Wednesday 2026-11-25 12:00 UTC. It returns the fleet, the
// server's base URL and that clock.
func calendarFleet(t *testing.T, e herdtest.Engine, opts server.Options) (*herd.Fleet, string, *herdtest.Clock) {
	t.Helper()
	ctx := t.Context()
	migrations, err := fs.Sub(schoolerp.Files(), "migrations")
	require.NoError(t, err)
	scratch := e.NewFleet(t, migrations)
	scratch.WriteConfig(t, scratch.Config(calendarYAML))
	now := herdtest.NewClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	fleet, err := herd.Open(ctx, scratch.Load(t), herdtest.Dialects(), herd.Options{Now: now.Now})
	require.NoError(t, err)
	codes := []string{"alpha", "beta", "gamma", "delta"}
	t.Cleanup(func() {
		fleet.Close()
		scratch.DropTenants(t, codes)
	})
	for _, code := range codes {
		tier := "gold"
		if code == "delta" {
			tier = "standard"
		}
		_, err := fleet.AddTenant(ctx, herd.TenantSpec{Code: code, Tier: tier})
		require.NoError(t, err)
	}
	require.NoError(t, fleet.MigrateAll(ctx, "1.0.0", 2))
	at := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	r, _, err := fleet.Rollouts(rollout.Options{Now: now.Now}).Start(ctx, herd.StartRequest{Release: "v1.1.0", Selector: "alpha,beta,delta", At: &at})
	require.NoError(t, err)
	require.Equal(t, herd.RolloutScheduled, r.Status)
	srv := httptest.NewServer(server.New(fleet, opts))
	t.Cleanup(srv.Close)
	return fleet, srv.URL, now
}

// event is a VEVENT read back, its times in UTC ("" for no DTEND).
type event struct {
	start, end, summary, category, transp string
}

// get fetches url and returns its status, content type and body.
func get(t *testing.T, url string, header ...string) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}

// readCalendar fetches a calendar, checks that it is well-formed RFC 5545
// (CRLF line ends, lines of at most 75 octets, a UID and DTSTAMP on each
// event) and returns its events.
func readCalendar(t *testing.T, url string) []event {
	t.Helper()
	status, ctype, body := get(t, url)
	require.Equal(t, http.StatusOK, status, string(body))
	require.Equal(t, "text/calendar; charset=utf-8", ctype)
	require.True(t, bytes.HasSuffix(body, []byte("END:VCALENDAR\r\n")))
	for _, line := range strings.Split(strings.TrimSuffix(string(body), "\r\n"), "\r\n") {
		require.NotContains(t, line, "\n", "every line ends with CRLF")
		require.LessOrEqual(t, len(line), 75, "folded at 75 octets: %q", line)
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(body))
	require.NoError(t, err)
	var out []event
	uids := map[string]bool{}
	for _, e := range cal.Events() {
		require.NotEmpty(t, e.Id())
		require.False(t, uids[e.Id()], "UIDs are unique")
		uids[e.Id()] = true
		require.NotNil(t, e.GetProperty(ics.ComponentPropertyDtstamp))
		start, err := e.GetStartAt()
		require.NoError(t, err)
		ev := event{start: start.UTC().Format(time.RFC3339)}
		if p := e.GetProperty(ics.ComponentPropertyDtEnd); p != nil {
			end, err := e.GetEndAt()
			require.NoError(t, err)
			ev.end = end.UTC().Format(time.RFC3339)
		}
		ev.summary = e.GetProperty(ics.ComponentPropertySummary).Value
		ev.category = e.GetProperty(ics.ComponentPropertyCategories).Value
		ev.transp = e.GetProperty(ics.ComponentPropertyTransp).Value
		out = append(out, ev)
	}
	return out
}

// upgradeOf returns the UID and start of the one upgrade of a calendar.
func upgradeOf(t *testing.T, url string) struct{ uid, start string } {
	t.Helper()
	_, _, body := get(t, url)
	cal, err := ics.ParseCalendar(bytes.NewReader(body))
	require.NoError(t, err)
	var out []struct{ uid, start string }
	for _, e := range cal.Events() {
		if e.GetProperty(ics.ComponentPropertyCategories).Value == "upgrade" {
			start, err := e.GetStartAt()
			require.NoError(t, err)
			out = append(out, struct{ uid, start string }{e.Id(), start.UTC().Format(time.RFC3339)})
		}
	}
	require.Len(t, out, 1)
	return out[0]
}

// The calendars on every engine, read back and checked against the
// schedule and the windows: each maintenance opening over the weeks
// asked for, and the scheduled rollout at the first opening of each
// tenant's window after its start.
func TestCalendar(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		_, base, clock := calendarFleet(t, e, server.Options{})
		maint := func(start, end, who string) event {
			return event{start, end, "Maintenance window (" + who + ")", "maintenance", "TRANSPARENT"}
		}
		upgrade := func(start, end, who string) event {
			return event{start, end, "Upgrade to v1.1.0 (" + who + ")", "upgrade", "OPAQUE"}
		}
		// alpha: London is on GMT; Wednesdays and Sundays 22:00 to 02:00.
		alpha := []event{
			maint("2026-11-25T22:00:00Z", "2026-11-26T02:00:00Z", "tenant alpha"),
			maint("2026-11-29T22:00:00Z", "2026-11-30T02:00:00Z", "tenant alpha"),
			upgrade("2026-11-29T22:00:00Z", "2026-11-30T02:00:00Z", "tenant alpha"),
			maint("2026-12-02T22:00:00Z", "2026-12-03T02:00:00Z", "tenant alpha"),
			maint("2026-12-06T22:00:00Z", "2026-12-07T02:00:00Z", "tenant alpha"),
		}
		require.Equal(t, alpha, readCalendar(t, base+"/calendar/alpha.ics?weeks=2"))
		require.Equal(t, alpha[:3], readCalendar(t, base+"/calendar/alpha.ics?weeks=1"))

		// beta: Saturday 01:00-05:00 in Kolkata is Friday 19:30-23:30 UTC;
		// the rollout starts after the first, so beta's turn is the next.
		require.Equal(t, []event{
			maint("2026-11-27T19:30:00Z", "2026-11-27T23:30:00Z", "tenant beta"),
			maint("2026-12-04T19:30:00Z", "2026-12-04T23:30:00Z", "tenant beta"),
			upgrade("2026-12-04T19:30:00Z", "2026-12-04T23:30:00Z", "tenant beta"),
		}, readCalendar(t, base+"/calendar/beta.ics?weeks=2"))
		require.Len(t, readCalendar(t, base+"/calendar/gamma.ics"), 4, "four weeks of windows by default, and no upgrade")
		// delta: no window, so the upgrade is the rollout's start.
		require.Equal(t, []event{upgrade("2026-11-28T00:00:00Z", "", "tenant delta")}, readCalendar(t, base+"/calendar/delta.ics"))

		// The tier: beta's and gamma's openings are one event each; alpha's
		// own window is its own.
		gold := readCalendar(t, base+"/calendar.ics?tier=gold&weeks=2")
		require.Equal(t, []event{
			maint("2026-11-25T22:00:00Z", "2026-11-26T02:00:00Z", "tenant alpha"),
			maint("2026-11-27T19:30:00Z", "2026-11-27T23:30:00Z", "2 tenants"),
			maint("2026-11-29T22:00:00Z", "2026-11-30T02:00:00Z", "tenant alpha"),
			upgrade("2026-11-29T22:00:00Z", "2026-11-30T02:00:00Z", "tenant alpha"),
			maint("2026-12-02T22:00:00Z", "2026-12-03T02:00:00Z", "tenant alpha"),
			maint("2026-12-04T19:30:00Z", "2026-12-04T23:30:00Z", "2 tenants"),
			upgrade("2026-12-04T19:30:00Z", "2026-12-04T23:30:00Z", "tenant beta"),
			maint("2026-12-06T22:00:00Z", "2026-12-07T02:00:00Z", "tenant alpha"),
		}, gold)
		require.Len(t, readCalendar(t, base+"/calendar.ics?weeks=2"), 9, "every tenant: gold's and delta's upgrade")
		_, _, first := get(t, base+"/calendar.ics?tier=gold")
		_, _, again := get(t, base+"/calendar.ics?tier=gold")
		require.Equal(t, string(first), string(again), "the same schedule reads the same, UIDs included")

		// Past the rollout's start, delta (no window) may go any time from
		// now: its upgrade moves with the clock and keeps its UID.
		clock.Set(time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC))
		before := upgradeOf(t, base+"/calendar/delta.ics")
		clock.Set(time.Date(2026, 11, 28, 7, 0, 0, 0, time.UTC))
		later := upgradeOf(t, base+"/calendar/delta.ics")
		require.Equal(t, "2026-11-28T06:00:00Z", before.start)
		require.Equal(t, "2026-11-28T07:00:00Z", later.start)
		require.Equal(t, before.uid, later.uid)
		clock.Set(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))

		for _, tc := range []struct {
			path   string
			status int
			detail string
		}{
			{"/calendar/nobody.ics", http.StatusNotFound, `calendar: no tenant \"nobody\"`},
			{"/calendar/alpha", http.StatusNotFound, "/calendar/{tenant}.ics"},
			{"/calendar.ics?tier=platinum", http.StatusBadRequest, `calendar: unknown tier \"platinum\": no tenant has it and no maintenance window names it (tiers: gold, standard)`},
			{"/calendar.ics?tier=", http.StatusBadRequest, "tier must not be empty"},
			{"/calendar.ics?tier=gold&tier=standard", http.StatusBadRequest, `parameter \"tier\" given 2 times`},
			{"/calendar.ics?colour=red", http.StatusBadRequest, `unknown parameter \"colour\" (known: tier, weeks, key)`},
			{"/calendar/alpha.ics?weeks=0", http.StatusBadRequest, `weeks \"0\": want a whole number from 1 to 26`},
			{"/calendar/alpha.ics?weeks=27", http.StatusBadRequest, `weeks \"27\"`},
			{"/calendar/alpha.ics?tier=gold", http.StatusBadRequest, `unknown parameter \"tier\" (known: weeks, key)`},
		} {
			status, ctype, body := get(t, base+tc.path)
			require.Equal(t, tc.status, status, tc.path)
			require.Equal(t, "application/json", ctype, tc.path)
			require.Contains(t, string(body), tc.detail, tc.path)
		}
	})
}

// The calendars are reads like the others: with viewer tokens they need
// one; and a control database that cannot be read is a 503.
func TestCalendarNeedsAViewerToken(t *testing.T) {
	t.Parallel()
	_, base, _ := calendarFleet(t, herdtest.Engines()[0], server.Options{Viewers: []server.Token{{Name: "calendar", Secret: "s3cret"}}})
	status, _, _ := get(t, base+"/calendar/alpha.ics")
	require.Equal(t, http.StatusUnauthorized, status)
	status, _, _ = get(t, base+"/calendar.ics", "Authorization", "Bearer wrong")
	require.Equal(t, http.StatusUnauthorized, status)
	status, _, body := get(t, base+"/calendar/alpha.ics", "Authorization", "Bearer s3cret")
	require.Equal(t, http.StatusOK, status, string(body))

	failing := httptest.NewServer(server.New(failingFleet{}, server.Options{}))
	t.Cleanup(failing.Close)
	status, _, body = get(t, failing.URL+"/calendar/alpha.ics")
	require.Equal(t, http.StatusServiceUnavailable, status)
	require.NotContains(t, string(body), "connection refused", "the cause is logged, not told")
}
