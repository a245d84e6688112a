package server_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/server"
)

// Failed sign-ins are limited per client address (5, then one per 12 s)
// and overall (50, then one a second): over a limit, a sign-in is
// refused 429 with Retry-After before its token is looked at, even the
// right one; another address is not held up by one client's failures.
func TestConsoleSignInLimit(t *testing.T) {
	t.Parallel()
	b := startedRollout(t, herdtest.Engines()[0])
	clock := herdtest.NewClock(time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC))
	opts := consoleOptions
	opts.Now = clock.Now
	srv := server.New(b.fleet, opts)
	signIn := func(addr, token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(url.Values{"token": {token}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.RemoteAddr = addr + ":50000"
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec
	}
	type try struct {
		name, addr, token string
		status            int
		retryAfter        string
	}
	check := func(tries ...try) {
		t.Helper()
		for _, tc := range tries {
			rec := signIn(tc.addr, tc.token)
			require.Equal(t, tc.status, rec.Code, "%s: %s", tc.name, rec.Body)
			require.Equal(t, tc.retryAfter, rec.Header().Get("Retry-After"), tc.name)
			if tc.status == http.StatusTooManyRequests {
				require.Contains(t, rec.Body.String(), "Too many failed sign-ins: try again in "+tc.retryAfter+" s.", tc.name)
			}
		}
	}
	for i := range 5 {
		check(try{"failure " + strconv.Itoa(i+1), "192.0.2.1", "wrong", http.StatusUnauthorized, ""})
	}
	check(
		try{"a sixth failure", "192.0.2.1", "wrong", http.StatusTooManyRequests, "12"},
		try{"the right token, held up", "192.0.2.1", otto.Secret, http.StatusTooManyRequests, "12"},
		try{"another client", "192.0.2.2", otto.Secret, http.StatusSeeOther, ""},
	)
	clock.Set(clock.Now().Add(12 * time.Second))
	check(
		try{"12 s later", "192.0.2.1", "wrong", http.StatusUnauthorized, ""},
		try{"then held up again", "192.0.2.1", "wrong", http.StatusTooManyRequests, "12"},
	)
	// Overall: 6 failures taken, 12 s refilled up to 50: 49 left.
	for i := range 49 {
		check(try{"client " + strconv.Itoa(i), "198.51.100." + strconv.Itoa(i+1), "wrong", http.StatusUnauthorized, ""})
	}
	check(try{"over the overall limit", "203.0.113.7", otto.Secret, http.StatusTooManyRequests, "1"})
	clock.Set(clock.Now().Add(time.Second))
	check(try{"a second later", "203.0.113.7", otto.Secret, http.StatusSeeOther, ""})
}
