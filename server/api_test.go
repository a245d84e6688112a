package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/server"

	schoolerp "github.com/herdhq/herd/examples/school-erp"
)

// apiTenants is how many tenants the API's fleet registers: enough for
// five full pages at the largest limit.
const apiTenants = 2500

// apiFleet is a fleet of apiTenants tenants, registered straight in the
// control database (the API reads only that), served on loopback.
type apiFleet struct {
	t     *testing.T
	fleet *herd.Fleet
	store *control.Store
	base  string
	// rollouts are the ids of the rollouts recorded, oldest first.
	rollouts []int64
}

// apiTenant describes tenant i of an apiFleet: s0000, s0001, …; every
// fifth on tier gold, every seventh tagged beta; the first 100 at 1.0.0,
// the next 50 at 1.1.0, s0150 failed at 1.1.0, the others never
// migrated. s0007's name holds a % and an _.
func apiTenant(i int, prefix string) control.Tenant {
	tn := control.Tenant{Code: fmt.Sprintf("s%04d", i), Name: fmt.Sprintf("School Nr %d", i), Tier: "basic", Server: "main",
		Database: fmt.Sprintf("%s_%d", prefix, i), Tags: []string{}, CreatedAt: time.Now()}
	if i%5 == 0 {
		tn.Tier = "gold"
	}
	if i%7 == 0 {
		tn.Tags = []string{"beta", "north"}
	}
	if i == 7 {
		tn.Name = "Fifty% Off_Academy"
	}
	return tn
}

func newAPIFleet(t *testing.T, e herdtest.Engine, opts server.Options) *apiFleet {
	t.Helper()
	ctx := context.Background()
	migrations, err := fs.Sub(schoolerp.Files(), "migrations")
	require.NoError(t, err)
	scratch := e.NewFleet(t, migrations)
	fleet, err := herd.Open(ctx, scratch.Load(t), herdtest.Dialects(), herd.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { fleet.Close() })
	a := &apiFleet{t: t, fleet: fleet, store: scratch.Control(t)}

	// Registered by 8 writers: one commit each, in parallel where the
	// engine takes it.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < apiTenants; i += 8 {
				if err := a.register(ctx, apiTenant(i, scratch.Prefix), i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	require.NoError(t, <-errs)

	s0001 := control.TenantRef("s0001")
	for i := range 3 {
		require.NoError(t, a.store.Record(ctx, s0001, control.Step{Migration: fmt.Sprintf("v1.0.0/00%d_step", i+1), Version: "1.0.0",
			Kind: "schema", Direction: control.Up, Checksum: "x", Started: time.Now(), Duration: time.Duration(i+1) * time.Millisecond}))
	}
	_, err = a.store.AddSnapshot(ctx, control.Snapshot{Tenant: "s0001", Server: "main", Database: "x", Name: "x_snap",
		Version: "1.0.0", CreatedAt: time.Now()})
	require.NoError(t, err)
	for i := range 3 {
		items := make([]control.Item, 0, 120)
		for p := range 120 {
			wave, name := 1, "rest"
			if p < 20 {
				wave, name = 0, "canary"
			}
			it := control.Item{Tenant: fmt.Sprintf("s%04d", p), Server: "main", Wave: wave, WaveName: name, Position: p,
				State: control.ItemPending}
			if p%10 == 9 {
				it.State = control.ItemSkipped
			}
			items = append(items, it)
		}
		id, err := a.store.CreateRollout(ctx, control.Rollout{Release: "v1.1.0", SystemVersion: "1.1.0", TenantVersion: "1.1.0",
			Selector: fmt.Sprintf("rollout %d", i), Status: control.RolloutRunning}, items)
		require.NoError(t, err)
		a.rollouts = append(a.rollouts, id)
	}
	for i := range 120 {
		actor := "ops"
		if i%4 == 0 {
			actor = "alice"
		}
		require.NoError(t, a.store.Audit(ctx, actor, "test", fmt.Sprintf("entry %d", i), "{}"))
	}
	srv := httptest.NewServer(server.New(fleet, opts))
	t.Cleanup(srv.Close)
	a.base = srv.URL
	return a
}

// register adds tenant i's registry entry and its version.
func (a *apiFleet) register(ctx context.Context, tn control.Tenant, i int) error {
	if err := a.store.AddTenant(ctx, tn); err != nil {
		return err
	}
	ref := control.TenantRef(tn.Code)
	switch {
	case i < 100:
		return a.store.Sync(ctx, ref, "1.0.0")
	case i < 150:
		return a.store.Sync(ctx, ref, "1.1.0")
	case i == 150:
		return a.store.End(ctx, ref, "1.1.0", errors.New("boom"))
	}
	return nil
}

// get fetches path from the API and decodes its JSON body into out,
// zeroed first (a field the body omits is zero), returning the status.
func (a *apiFleet) get(path string, out any) int {
	a.t.Helper()
	resp, err := http.Get(a.base + path)
	require.NoError(a.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(a.t, err)
	require.Equal(a.t, "application/json", resp.Header.Get("Content-Type"), path)
	reflect.ValueOf(out).Elem().SetZero()
	require.NoError(a.t, json.Unmarshal(body, out), "%s: %s", path, body)
	return resp.StatusCode
}

// tenantRow is a row of /api/v1/tenants as a client reads it.
type tenantRow struct {
	Identifier     string   `json:"identifier"`
	Name           string   `json:"name"`
	Tier           string   `json:"tier"`
	Server         string   `json:"server"`
	Tags           []string `json:"tags"`
	CurrentVersion string   `json:"current_version"`
	Status         string   `json:"status"`
	LastError      string   `json:"last_error"`
}

// walk follows a list from the first page at path, which ends in
// "cursor=", to its last, handing each page to each; it returns how many
// pages there were.
func walk[P any](a *apiFleet, path string, next func(P) string, each func(P)) int {
	a.t.Helper()
	cursor := ""
	for pages := 1; ; pages++ {
		var page P
		require.Equal(a.t, http.StatusOK, a.get(path+url.QueryEscape(cursor), &page), path)
		each(page)
		if cursor = next(page); cursor == "" {
			return pages
		}
		require.Less(a.t, pages, apiTenants, "%s: the cursor does not move", path)
	}
}

// tenantPage is a page of /api/v1/tenants as a client reads it.
type tenantPage struct {
	Tenants []tenantRow `json:"tenants"`
	Next    string      `json:"next"`
}

// walkTenants follows /api/v1/tenants?query from its first page to its
// last, returning every row and how many pages there were.
func (a *apiFleet) walkTenants(query string) ([]tenantRow, int) {
	a.t.Helper()
	var rows []tenantRow
	pages := walk(a, "/api/v1/tenants?"+query+"&cursor=", func(p tenantPage) string { return p.Next },
		func(p tenantPage) { rows = append(rows, p.Tenants...) })
	return rows, pages
}

// Every route of the API on every engine, over 2,500 tenants: the
// overview, tenants with each filter and paginated, a tenant, releases,
// rollouts with their tenants, the audit log.
func TestAPI(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		a := newAPIFleet(t, e, server.Options{})

		var o herd.Overview
		require.Equal(t, http.StatusOK, a.get("/api/v1/fleet", &o))
		require.Equal(t, apiTenants, o.Tenants)
		require.Equal(t, map[string]int{"": apiTenants - 151, "1.0.0": 100, "1.1.0": 51}, o.ByVersion)
		require.Equal(t, map[string]int{"pending": apiTenants - 151, "running": 0, "completed": 150, "failed": 1}, o.ByStatus)
		require.Equal(t, map[string]int{"main": apiTenants}, o.ByServer)

		// The largest pages walk every tenant once, by code; the default
		// page is 50.
		rows, pages := a.walkTenants("limit=500")
		require.Equal(t, 5, pages)
		require.Len(t, rows, apiTenants)
		for i, r := range rows {
			require.Equal(t, fmt.Sprintf("s%04d", i), r.Identifier)
		}
		var first struct {
			Tenants []json.RawMessage `json:"tenants"`
			Next    string            `json:"next"`
		}
		require.Equal(t, http.StatusOK, a.get("/api/v1/tenants", &first))
		require.Len(t, first.Tenants, herd.DefaultPageLimit)
		require.NotEmpty(t, first.Next)

		// A row has the fields of herd status --json, and the registry's.
		var row map[string]any
		require.NoError(t, json.Unmarshal(first.Tenants[0], &row))
		status, err := json.Marshal(herd.StatusRow{})
		require.NoError(t, err)
		var statusFields map[string]any
		require.NoError(t, json.Unmarshal(status, &statusFields))
		for field := range statusFields {
			require.Contains(t, row, field)
		}
		for _, field := range []string{"name", "tier", "server", "tags"} {
			require.Contains(t, row, field)
		}

		for _, tc := range []struct {
			query string
			want  func(i int, r tenantRow) bool
		}{
			{"version=1.0.0", func(i int, _ tenantRow) bool { return i < 100 }},
			{"version=v1.1.0&limit=7", func(i int, _ tenantRow) bool { return i >= 100 && i <= 150 }},
			{"status=failed", func(i int, r tenantRow) bool { return i == 150 && r.LastError == "boom" }},
			{"status=pending&limit=500", func(i int, _ tenantRow) bool { return i > 150 }},
			{"tier=gold&limit=100", func(i int, r tenantRow) bool { return i%5 == 0 && r.Tier == "gold" }},
			{"server=main&limit=500", func(int, tenantRow) bool { return true }},
			{"tag=beta&limit=100", func(i int, r tenantRow) bool { return i%7 == 0 && slices.Contains(r.Tags, "north") }},
			{"tag=bet", func(int, tenantRow) bool { return false }},
			{"release=v1.0.0", func(i int, _ tenantRow) bool { return i < 100 }},
			{"release=1.1.0", func(i int, _ tenantRow) bool { return i >= 100 && i <= 150 }},
			{"release=v2.0.0", func(int, tenantRow) bool { return false }},
			{"release=v1.1.0&version=1.0.0", func(int, tenantRow) bool { return false }},
			{"q=NR+24", func(i int, _ tenantRow) bool { return strings.HasPrefix(fmt.Sprint(i), "24") && i != 7 }},
			{"q=S000", func(i int, _ tenantRow) bool { return i < 10 }},
			{"q=%25+off_", func(i int, _ tenantRow) bool { return i == 7 }},
			{"q=_", func(i int, _ tenantRow) bool { return i == 7 }},
			{"tier=gold&tag=beta&status=completed", func(i int, _ tenantRow) bool { return i%35 == 0 && i < 150 }},
		} {
			t.Run(tc.query, func(t *testing.T) {
				got, _ := a.walkTenants(tc.query)
				var want []string
				for i := range apiTenants {
					if tn := apiTenant(i, ""); tc.want(i, tenantRow{Tier: tn.Tier, Tags: tn.Tags, LastError: map[bool]string{true: "boom"}[i == 150]}) {
						want = append(want, tn.Code)
					}
				}
				var codes []string
				for _, r := range got {
					codes = append(codes, r.Identifier)
					require.True(t, tc.want(idx(r.Identifier), r), "%s: row %+v", tc.query, r)
				}
				require.Equal(t, want, codes)
			})
		}

		// One tenant: its registry entry, status, history a page at a
		// time, snapshots and rollout items, newest rollout first.
		var rec struct {
			Tenant  herd.Tenant    `json:"tenant"`
			Status  herd.StatusRow `json:"status"`
			History struct {
				Entries []herd.HistoryEntry `json:"entries"`
				Next    int64               `json:"next"`
			} `json:"history"`
			Snapshots []herd.Snapshot `json:"snapshots"`
			Rollouts  []struct {
				RolloutID int64  `json:"rollout_id"`
				Tenant    string `json:"tenant"`
				State     string `json:"state"`
			} `json:"rollouts"`
			RolloutsNext int64 `json:"rollouts_next"`
		}
		require.Equal(t, http.StatusOK, a.get("/api/v1/tenants/s0001?history_limit=2", &rec))
		require.Equal(t, "School Nr 1", rec.Tenant.Name)
		require.Equal(t, "1.0.0", rec.Status.CurrentVersion)
		require.Len(t, rec.History.Entries, 2)
		require.Len(t, rec.Snapshots, 1)
		require.Len(t, rec.Rollouts, 3)
		require.Equal(t, a.rollouts[2], rec.Rollouts[0].RolloutID)
		require.Zero(t, rec.RolloutsNext)
		after := rec.History.Next
		// The rollout items a page at a time, newest rollout first.
		require.Equal(t, http.StatusOK, a.get("/api/v1/tenants/s0001?rollouts_limit=2", &rec))
		require.Equal(t, []int64{a.rollouts[2], a.rollouts[1]}, []int64{rec.Rollouts[0].RolloutID, rec.Rollouts[1].RolloutID})
		require.Equal(t, a.rollouts[1], rec.RolloutsNext)
		rec.Rollouts, rec.RolloutsNext = nil, 0
		require.Equal(t, http.StatusOK, a.get(fmt.Sprintf("/api/v1/tenants/s0001?rollouts_limit=2&rollouts_before=%d", a.rollouts[1]), &rec))
		require.Len(t, rec.Rollouts, 1)
		require.Equal(t, a.rollouts[0], rec.Rollouts[0].RolloutID)
		require.Equal(t, "s0001", rec.Rollouts[0].Tenant)
		require.Zero(t, rec.RolloutsNext)
		require.Equal(t, http.StatusOK, a.get(fmt.Sprintf("/api/v1/tenants/s0001?history_limit=2&history_after=%d", after), &rec))
		require.Len(t, rec.History.Entries, 1)
		require.Equal(t, "v1.0.0/003_step", rec.History.Entries[0].Migration)
		require.Zero(t, rec.History.Next)

		// Releases, named as herd releases --json names them.
		var rel struct {
			Releases   []herd.ReleaseRow `json:"releases"`
			Unreleased int               `json:"unreleased"`
		}
		require.Equal(t, http.StatusOK, a.get("/api/v1/releases", &rel))
		counts, err := a.fleet.Releases(t.Context())
		require.NoError(t, err)
		require.Equal(t, counts.Rows(), rel.Releases)
		require.Equal(t, apiTenants-151, rel.Unreleased)
		require.Equal(t, 100, rel.Releases[0].Tenants)

		// Rollouts, newest first; one with its counts per state and wave;
		// its tenants a page at a time.
		var list struct {
			Rollouts []herd.Rollout `json:"rollouts"`
			Next     string         `json:"next"`
		}
		require.Equal(t, http.StatusOK, a.get("/api/v1/rollouts?limit=2", &list))
		require.Equal(t, []int64{a.rollouts[2], a.rollouts[1]}, []int64{list.Rollouts[0].ID, list.Rollouts[1].ID})
		require.Equal(t, http.StatusOK, a.get("/api/v1/rollouts?limit=2&cursor="+list.Next, &list))
		require.Equal(t, a.rollouts[0], list.Rollouts[0].ID)
		require.Empty(t, list.Next)
		require.Equal(t, http.StatusOK, a.get("/api/v1/rollouts?status=paused", &list))
		require.Empty(t, list.Rollouts)

		var sum herd.RolloutProgress
		require.Equal(t, http.StatusOK, a.get(fmt.Sprintf("/api/v1/rollouts/%d", a.rollouts[1]), &sum))
		require.Equal(t, "rollout 1", sum.Rollout.Selector)
		require.Equal(t, map[herd.ItemState]int{"pending": 108, "skipped": 12}, sum.Counts)
		require.Len(t, sum.Waves, 2)
		require.Equal(t, 20, sum.Waves[0].Tenants)
		require.Equal(t, 90, sum.Waves[1].Open)

		var items []string
		walk(a, fmt.Sprintf("/api/v1/rollouts/%d/items?limit=25&cursor=", a.rollouts[1]), func(p herd.ItemPage) string { return p.Next },
			func(p herd.ItemPage) {
				for _, it := range p.Tenants {
					items = append(items, it.Tenant)
				}
			})
		require.Len(t, items, 120)
		require.Equal(t, "s0119", items[119])
		var skipped herd.ItemPage
		require.Equal(t, http.StatusOK, a.get(fmt.Sprintf("/api/v1/rollouts/%d/items?state=skipped", a.rollouts[1]), &skipped))
		require.Len(t, skipped.Tenants, 12)

		// The audit log, newest first, by actor.
		var subjects []string
		walk(a, "/api/v1/audit?actor=alice&limit=7&cursor=", func(p herd.AuditPage) string { return p.Next }, func(p herd.AuditPage) {
			for _, e := range p.Entries {
				subjects = append(subjects, e.Subject)
			}
		})
		require.Len(t, subjects, 30)
		require.Equal(t, "entry 116", subjects[0])
		require.Equal(t, "entry 0", subjects[29])
		var audit herd.AuditPage
		require.Equal(t, http.StatusOK, a.get("/api/v1/audit?action=nothing", &audit))
		require.Empty(t, audit.Entries)

		// Bad input: 400 with the parameter named, and nothing else read;
		// unknown things: 404.
		for _, tc := range []struct {
			path, param string
			status      int
		}{
			{"/api/v1/tenants?colour=red", "colour", 400},
			{"/api/v1/tenants?tier=a&tier=b", "tier", 400},
			{"/api/v1/tenants?limit=501", "limit", 400},
			{"/api/v1/tenants?limit=-1", "limit", 400},
			{"/api/v1/tenants?limit=ten", "limit", 400},
			{"/api/v1/tenants?cursor=not-a-cursor", "cursor", 400},
			{"/api/v1/tenants?status=done", "status", 400},
			{"/api/v1/tenants?version=latest", "version", 400},
			{"/api/v1/tenants?release=v9.9.9", "release", 400},
			{"/api/v1/tenants?server=elsewhere", "server", 400},
			{"/api/v1/tenants?q=" + strings.Repeat("x", 201), "q", 400},
			{"/api/v1/fleet?limit=5", "limit", 400},
			{"/api/v1/tenants/s0001?history_limit=5000", "history_limit", 400},
			{"/api/v1/tenants/s0001?history_after=-3", "history_after", 400},
			{"/api/v1/tenants/s0001?rollouts_limit=501", "rollouts_limit", 400},
			{"/api/v1/tenants/s0001?rollouts_before=-1", "rollouts_before", 400},
			{"/api/v1/tenants/s0001?rollouts_before=x", "rollouts_before", 400},
			{"/api/v1/tenants/s0001?cursor=x", "cursor", 400},
			{"/api/v1/tenants/Bad%20Code", "code", 400},
			{"/api/v1/rollouts?status=done", "status", 400},
			{"/api/v1/rollouts?cursor=" + first.Next, "cursor", 400}, // a cursor of another list
			{"/api/v1/rollouts/abc", "id", 400},
			{"/api/v1/rollouts/0/items", "id", 400},
			{fmt.Sprintf("/api/v1/rollouts/%d/items?state=finished", a.rollouts[0]), "state", 400},
			{fmt.Sprintf("/api/v1/rollouts/%d/items?cursor=MQ", a.rollouts[0]), "cursor", 400},
			{"/api/v1/audit?limit=1000", "limit", 400},
			{"/api/v1/audit?cursor=eHl6", "cursor", 400},
			{"/api/v1/tenants/nobody", "", 404},
			{"/api/v1/rollouts/999999", "", 404},
			{"/api/v1/rollouts/999999/items", "", 404},
			{"/api/v1/nothing", "", 404},
		} {
			var body map[string]any
			require.Equal(t, tc.status, a.get(tc.path, &body), tc.path)
			require.NotEmpty(t, body["error"], tc.path)
			if tc.param == "" {
				require.NotContains(t, body, "parameter", tc.path)
			} else {
				require.Equal(t, tc.param, body["parameter"], "%s: %v", tc.path, body)
			}
		}
	})
}

// idx is the number in tenant code s0042.
func idx(code string) int {
	var i int
	fmt.Sscanf(code, "s%d", &i)
	return i
}

// The API sits behind the viewer tokens; a control database that cannot
// be read is a 500 whose cause goes to the log, not to the client.
func TestAPITokensAndFailure(t *testing.T) {
	t.Parallel()
	var logged bytes.Buffer
	var mu sync.Mutex
	fleet := openFleet(t, "", map[string]string{"alpha": "1.0.0"})
	c := start(t, fleet, server.Options{Viewers: []server.Token{{Name: "script", Secret: "s3cret"}},
		Logger: slog.New(slog.NewTextHandler(lockedWriter{&mu, &logged}, nil))})

	get := func(path, token string) (int, map[string]any) {
		req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var body map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		return resp.StatusCode, body
	}
	for _, path := range []string{"/api/v1/fleet", "/api/v1/tenants", "/api/v1/tenants/alpha", "/api/v1/releases",
		"/api/v1/rollouts", "/api/v1/rollouts/1", "/api/v1/rollouts/1/items", "/api/v1/audit", "/api/v1/nothing"} {
		status, _ := get(path, "")
		require.Equal(t, http.StatusUnauthorized, status, path)
		status, _ = get(path, "wrong")
		require.Equal(t, http.StatusUnauthorized, status, path)
	}
	status, body := get("/api/v1/tenants", "s3cret")
	require.Equal(t, http.StatusOK, status)
	require.Len(t, body["tenants"], 1)

	require.NoError(t, fleet.Close())
	status, body = get("/api/v1/tenants", "s3cret")
	require.Equal(t, http.StatusInternalServerError, status)
	require.Equal(t, map[string]any{"error": "reading the control database failed; the server's log says why"}, body)
	mu.Lock()
	defer mu.Unlock()
	require.Contains(t, logged.String(), "read a page of tenants")
}
