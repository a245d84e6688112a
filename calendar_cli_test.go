package herd_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/server"
)

// The webhook that announces a tenant's planned maintenance links its
// upgrade calendar, signed, and herd serve answers that link, on a server
// with tokens, with the upgrade at the time the webhook announced.
func TestMaintenanceWebhookLinksTheCalendar(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		type planned struct {
			Tenant   string    `json:"tenant"`
			At       time.Time `json:"at"`
			Calendar string    `json:"calendar"`
		}
		var (
			mu  sync.Mutex
			got []planned
		)
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			var p planned
			if err := json.Unmarshal(body, &p); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			mu.Lock()
			got = append(got, p)
			mu.Unlock()
		}))
		defer receiver.Close()

		tomorrow := strings.ToLower(time.Now().UTC().Add(24 * time.Hour).Weekday().String()[:3])
		b := setup(t, e, waveSource())
		b.scratch.WriteConfig(t, b.scratch.Config(fmt.Sprintf(`serve:
  public_url: https://herd.example.com/ops/
webhooks:
  - url: %q
    secret: hook-secret
    events: [tenant.maintenance_planned]
maintenance_windows:
  tenants:
    e1: {days: [%s], hours: "01:00-02:00", time_zone: UTC}
`, receiver.URL, tomorrow)))
		b.reopen()
		b.addTenant("e1")
		require.NoError(t, b.fleet.MigrateAll(b.ctx, "1.0.0", 1))
		run := cliAt(t, b.scratch.ConfigPath)
		run(3, "rollout", "start", "--to", "v1.1.0")

		mu.Lock()
		defer mu.Unlock()
		require.Len(t, got, 1)
		require.Equal(t, "e1", got[0].Tenant)
		require.Regexp(t, `^https://herd\.example\.com/ops/calendar/e1\.ics\?key=[0-9a-f]{64}$`, got[0].Calendar)
		want, err := b.fleet.CalendarURL(b.ctx, herd.CalendarRequest{Tenant: "e1"})
		require.NoError(t, err)
		require.Equal(t, want, got[0].Calendar)

		srv := httptest.NewServer(server.New(b.fleet, server.Options{
			Viewers: []server.Token{{Name: "viewer", Secret: "v-s3cret"}}, Operators: []server.Token{{Name: "ops", Secret: "o-s3cret"}}}))
		defer srv.Close()
		// herd serve's address stands for the public URL.
		resp, err := http.Get(srv.URL + strings.TrimPrefix(got[0].Calendar, "https://herd.example.com/ops"))
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		cal, err := ics.ParseCalendar(resp.Body)
		require.NoError(t, err)
		var upgrades []time.Time
		for _, e := range cal.Events() {
			if e.GetProperty(ics.ComponentPropertyCategories).Value == "upgrade" {
				start, err := e.GetStartAt()
				require.NoError(t, err)
				upgrades = append(upgrades, start)
			}
		}
		require.Len(t, upgrades, 1)
		require.True(t, got[0].At.Equal(upgrades[0]), "the calendar's upgrade (%s) is when the webhook said (%s)", upgrades[0], got[0].At)
	})
}

// herd calendar url prints a feed's signed address, which needs
// serve.public_url; herd calendar rotate-key replaces the key, so that the
// addresses printed before no longer open their feeds.
func TestCalendarURLCommand(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, waveSource())
		b.addTenant("e1")
		run := cliAt(t, b.scratch.ConfigPath)
		require.Contains(t, run(2, "calendar", "url", "--tenant", "e1"), "serve.public_url")
		require.Contains(t, run(2, "calendar", "url"), "give --tenant CODE or --tier T")
		require.Contains(t, run(2, "calendar", "url", "--tenant", "e1", "--tier", "gold"), "give --tenant CODE or --tier T")

		b.scratch.WriteConfig(t, b.scratch.Config("serve:\n  public_url: https://herd.example.com\n"))
		b.reopen()
		require.Contains(t, run(2, "calendar", "url", "--tenant", "nobody"), `"nobody"`)
		require.Contains(t, run(2, "calendar", "url", "--tier", "gold"), `unknown tier "gold"`)
		_, err := b.fleet.AddTenant(b.ctx, herd.TenantSpec{Code: "g1", Tier: "gold"})
		require.NoError(t, err)
		old := strings.TrimSpace(run(0, "calendar", "url", "--tenant", "e1"))
		require.Regexp(t, `^https://herd\.example\.com/calendar/e1\.ics\?key=[0-9a-f]{64}$`, old)
		want, err := b.fleet.CalendarURL(b.ctx, herd.CalendarRequest{Tenant: "e1"})
		require.NoError(t, err)
		require.Equal(t, want, old)
		tier := strings.TrimSpace(run(0, "calendar", "url", "--tier", "gold"))
		require.Regexp(t, `^https://herd\.example\.com/calendar\.ics\?key=[0-9a-f]{64}&tier=gold$`, tier)

		run(0, "calendar", "rotate-key")
		fresh := strings.TrimSpace(run(0, "calendar", "url", "--tenant", "e1"))
		require.NotEqual(t, old, fresh)
		_, oldKey, _ := strings.Cut(old, "key=")
		opens, err := b.fleet.CalendarKeyOpens(b.ctx, herd.CalendarRequest{Tenant: "e1"}, oldKey)
		require.NoError(t, err)
		require.False(t, opens, "the key before the rotation")
		_, freshKey, _ := strings.Cut(fresh, "key=")
		opens, err = b.fleet.CalendarKeyOpens(b.ctx, herd.CalendarRequest{Tenant: "e1"}, freshKey)
		require.NoError(t, err)
		require.True(t, opens)
		audit, err := b.fleet.AuditLog(b.ctx, herd.AuditQuery{Action: "calendar.rotate-key"})
		require.NoError(t, err)
		require.Len(t, audit.Entries, 1)
		require.Equal(t, "cli", audit.Entries[0].Actor)
	})
}
