package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/server"
)

func (failingFleet) CalendarKeyOpens(context.Context, herd.CalendarRequest, string) (bool, error) {
	return false, fmt.Errorf("control: read the calendar key: connection refused")
}

// A signed calendar feed URL opens its feed, and that feed only, on a
// server with tokens, where a calendar application cannot send one;
// rotating the calendar key stops every URL handed out before.
func TestCalendarFeedKeys(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		ctx := t.Context()
		fleet, base, _ := calendarFleet(t, e, server.Options{
			Viewers:   []server.Token{{Name: "viewer", Secret: "v-s3cret"}},
			Operators: []server.Token{{Name: "ops", Secret: "o-s3cret"}},
		})
		const public = "https://herd.example.com/ops"
		local := func(u string) string {
			require.True(t, strings.HasPrefix(u, public+"/"), u)
			return base + strings.TrimPrefix(u, public)
		}

		// Before any URL was handed out, no key opens a feed (and the
		// request makes none).
		code, _, _ := get(t, base+"/calendar/alpha.ics?key="+strings.Repeat("0", 64))
		require.Equal(t, http.StatusForbidden, code)

		// Concurrent first uses make one key: every URL agrees.
		urls := make([]string, 8)
		var wg sync.WaitGroup
		for i := range urls {
			wg.Go(func() {
				u, err := fleet.CalendarURL(ctx, herd.CalendarRequest{Tenant: "alpha"})
				if err == nil {
					urls[i] = u
				}
			})
		}
		wg.Wait()
		alpha := urls[0]
		require.Regexp(t, `^https://herd\.example\.com/ops/calendar/alpha\.ics\?key=[0-9a-f]{64}$`, alpha)
		for _, u := range urls {
			require.Equal(t, alpha, u)
		}
		gold, err := fleet.CalendarURL(ctx, herd.CalendarRequest{Tier: "gold"})
		require.NoError(t, err)
		require.Regexp(t, `^https://herd\.example\.com/ops/calendar\.ics\?key=[0-9a-f]{64}&tier=gold$`, gold)
		beta, err := fleet.CalendarURL(ctx, herd.CalendarRequest{Tenant: "beta"})
		require.NoError(t, err)
		key := func(u string) string { _, k, _ := strings.Cut(u, "key="); return k[:64] }
		flipped := []byte(key(alpha))
		flipped[10] ^= 1

		for _, tc := range []struct {
			name, path string
			status     int
		}{
			{"the tenant's feed", local(alpha), http.StatusOK},
			{"with weeks", local(alpha) + "&weeks=2", http.StatusOK},
			{"the tier's feed", local(gold), http.StatusOK},
			{"without a key", "/calendar/alpha.ics", http.StatusUnauthorized},
			{"another tenant's key", "/calendar/beta.ics?key=" + key(alpha), http.StatusForbidden},
			{"a tenant's key on its tier", "/calendar.ics?tier=gold&key=" + key(alpha), http.StatusForbidden},
			{"the tier's key on another tier", "/calendar.ics?tier=standard&key=" + key(gold), http.StatusForbidden},
			{"the whole fleet", "/calendar.ics?key=" + key(gold), http.StatusForbidden},
			{"a changed key", "/calendar/alpha.ics?key=" + string(flipped), http.StatusForbidden},
			{"an empty key", "/calendar/alpha.ics?key=", http.StatusForbidden},
			{"the API", "/api/v1/tenants/alpha?key=" + key(alpha), http.StatusUnauthorized},
		} {
			path := tc.path
			if !strings.HasPrefix(path, "http") {
				path = base + path
			}
			status, ctype, body := get(t, path)
			require.Equal(t, tc.status, status, "%s: %s", tc.name, body)
			switch status {
			case http.StatusOK:
				require.Equal(t, "text/calendar; charset=utf-8", ctype, tc.name)
				require.Contains(t, string(body), "BEGIN:VCALENDAR", tc.name)
			case http.StatusUnauthorized, http.StatusForbidden:
				require.Equal(t, "application/json", ctype, tc.name)
				var e struct {
					ErrorDetails string `json:"errorDetails"`
				}
				require.NoError(t, json.Unmarshal(body, &e), tc.name)
				require.NotEmpty(t, e.ErrorDetails, tc.name)
			}
		}

		// The tenant's page in the console links its feed, and the link
		// opens it.
		code, _, page := get(t, base+"/tenants/alpha", "Authorization", "Bearer v-s3cret")
		require.Equal(t, http.StatusOK, code)
		require.Contains(t, string(page), `<a id="tenant-calendar" href="`+alpha+`">`)

		// The console sends whoever has only a key to sign in.
		code, _, body := get(t, base+"/tenants/alpha?key="+key(alpha))
		require.Equal(t, http.StatusOK, code)
		require.Contains(t, string(body), "Sign in to herd")

		// Rotation: the old URLs stop working, the new ones work, and the
		// audit log says who rotated.
		require.NoError(t, fleet.RotateCalendarKey(ctx))
		for _, old := range []string{alpha, gold, beta} {
			status, _, _ := get(t, local(old))
			require.Equal(t, http.StatusForbidden, status, old)
		}
		fresh, err := fleet.CalendarURL(ctx, herd.CalendarRequest{Tenant: "alpha"})
		require.NoError(t, err)
		require.NotEqual(t, alpha, fresh)
		code, _, body = get(t, local(fresh))
		require.Equal(t, http.StatusOK, code, string(body))
		code, _, body = get(t, base+"/api/v1/audit?action=calendar.rotate-key", "Authorization", "Bearer v-s3cret")
		require.Equal(t, http.StatusOK, code, string(body))
		var audit herd.AuditPage
		require.NoError(t, json.Unmarshal(body, &audit))
		require.Len(t, audit.Entries, 1)
		require.Equal(t, "cli", audit.Entries[0].Actor)

		// A token still opens every calendar, without a key.
		code, _, _ = get(t, base+"/calendar.ics", "Authorization", "Bearer v-s3cret")
		require.Equal(t, http.StatusOK, code)

		// Input errors: no feed named, an unknown tenant.
		_, err = fleet.CalendarURL(ctx, herd.CalendarRequest{})
		require.True(t, herd.IsInputError(err), "%v", err)
		_, err = fleet.CalendarURL(ctx, herd.CalendarRequest{Tenant: "nobody"})
		require.ErrorIs(t, err, control.ErrTenantNotFound)
		require.True(t, herd.IsInputError(err), "%v", err)
	})
}

// A key that cannot be checked, because the control database cannot be
// read, is a 503 that does not tell the cause.
func TestCalendarKeyUnreadable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(server.New(failingFleet{}, server.Options{Viewers: []server.Token{{Name: "v", Secret: "s3cret"}}}))
	t.Cleanup(srv.Close)
	status, _, body := get(t, srv.URL+"/calendar/alpha.ics?key=00")
	require.Equal(t, http.StatusServiceUnavailable, status)
	require.NotContains(t, string(body), "connection refused")
}
