package server

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
)

// tenantView is the tenant page's data.
type tenantView struct {
	herd.TenantRecord
	Flags []herd.FlagResult
	// Next is the link to the next page of its history, "" on the last;
	// OlderRollouts the link to its items in older rollouts, "" when
	// there are none.
	Next, OlderRollouts string
	// Calendar is the signed address of its calendar feed, "" when
	// herd.yaml declares no serve.public_url.
	Calendar string
}

func (c *console) tenant(w http.ResponseWriter, r *http.Request, p principal) {
	ctx, code := r.Context(), r.PathValue("code")
	var q herd.TenantRecordQuery
	for _, param := range []struct {
		name, want string
		to         *int64
	}{{"history_after", "a history entry's id", &q.HistoryAfter}, {"rollouts_before", "a rollout's id", &q.RolloutsBefore}} {
		if s := r.URL.Query().Get(param.name); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 0 {
				c.fail(w, r, p, http.StatusBadRequest, fmt.Sprintf("%s %q: want %s", param.name, s, param.want))
				return
			}
			*param.to = n
		}
	}
	rec, err := c.fleet.TenantRecord(ctx, code, q)
	if err != nil {
		c.readFailed(w, r, p, err)
		return
	}
	v := tenantView{TenantRecord: rec}
	if rec.History.Next != 0 {
		v.Next = fmt.Sprintf("/tenants/%s?history_after=%d", code, rec.History.Next)
	}
	if rec.RolloutsNext != 0 {
		v.OlderRollouts = fmt.Sprintf("/tenants/%s?rollouts_before=%d", code, rec.RolloutsNext)
	}
	if v.Flags, err = c.fleet.EvaluateFlags(ctx, code); err != nil {
		c.readFailed(w, r, p, err)
		return
	}
	// Without serve.public_url there is no address to hand out: the
	// page says so.
	if v.Calendar, err = c.fleet.CalendarURL(ctx, herd.CalendarRequest{Tenant: code}); err != nil && !herd.IsInputError(err) {
		c.readFailed(w, r, p, err)
		return
	}
	c.pages.render(w, r, http.StatusOK, "tenant", view{Title: "Tenant " + code, Who: p, Nav: "tenants", Body: v})
}

// rolloutView is the rollout page's data, and its live fragment's.
type rolloutView struct {
	herd.RolloutWatch
	// Done names the action just taken, to confirm it.
	Done string
}

// Actions are the actions the rollout's state allows.
func (v rolloutView) Actions() []herd.RolloutAction {
	var out []herd.RolloutAction
	st := v.Rollout.Status
	if st == control.RolloutRunning || st == control.RolloutScheduled {
		out = append(out, herd.PauseRollout)
	}
	if st == control.RolloutPaused || st == control.RolloutHalted {
		out = append(out, herd.ResumeRollout)
	}
	if !st.Finished() {
		out = append(out, herd.AbortRollout)
	}
	if v.Counts[control.ItemFailed]+v.Counts[control.ItemRolledBack] > 0 {
		out = append(out, herd.RetryRollout)
	}
	if v.Counts[control.ItemDone]+v.Counts[control.ItemFailed]+v.Counts[control.ItemRunning] > 0 && !v.RollingBack() {
		out = append(out, herd.RollbackRollout)
	}
	return out
}

// RollingBack reports whether the rollout's emergency rollback is
// running.
func (v rolloutView) RollingBack() bool {
	return v.Rollback != nil && v.Rollback.Status == control.RollbackRunning
}

// Live reports whether the rollout may still change by itself, or its
// emergency rollback is running, so that the page subscribes to its
// updates.
func (v rolloutView) Live() bool { return !v.Rollout.Status.Finished() || v.RollingBack() }

// Runners names the runners that hold a lease on the rollout's tenants
// now, each with how many, in order.
func (v rolloutView) Runners() []string {
	out := make([]string, 0, len(v.Leases))
	for owner, n := range v.Leases {
		out = append(out, fmt.Sprintf("%s (%d)", owner, n))
	}
	slices.Sort(out)
	return out
}

func (c *console) rollout(w http.ResponseWriter, r *http.Request, p principal) {
	id, ok := c.rolloutID(w, r, p)
	if !ok {
		return
	}
	prog, err := c.fleet.WatchRollout(r.Context(), id)
	if err != nil {
		c.readFailed(w, r, p, err)
		return
	}
	v := rolloutView{RolloutWatch: prog}
	if done := herd.RolloutAction(r.URL.Query().Get("done")); actionWhat[done] != "" {
		v.Done = string(done)
	}
	c.pages.render(w, r, http.StatusOK, "rollout", view{Title: fmt.Sprintf("Rollout %d", id), Who: p, Nav: "rollouts", Body: v})
}

// renderProgress renders a rollout's live fragment for viewers and for
// operators.
func (c *console) renderProgress(p herd.RolloutWatch) (frame, error) {
	v := rolloutView{RolloutWatch: p}
	viewer, err := c.pages.fragment("rollout", "progress", view{Who: principal{role: Viewer}, Body: v})
	if err != nil {
		return frame{}, err
	}
	operator, err := c.pages.fragment("rollout", "progress", view{Who: principal{role: Operator}, Body: v})
	return frame{viewer: viewer, operator: operator}, err
}

// releasesView is the releases page's data.
type releasesView struct {
	Releases   []releaseView
	Unreleased int
	Flags      []herd.FlagRules
}

// releaseView is one release of the matrix with the flags its tenant
// schema is high enough for.
type releaseView struct {
	herd.ReleaseRow
	Flags []string
}

func (c *console) releases(w http.ResponseWriter, r *http.Request, p principal) {
	rel, err := c.fleet.Releases(r.Context())
	if err != nil {
		c.readFailed(w, r, p, err)
		return
	}
	fl, err := c.fleet.FlagRules(r.Context())
	if err != nil {
		c.readFailed(w, r, p, err)
		return
	}
	v := releasesView{Unreleased: rel.Unreleased, Flags: fl}
	for _, row := range rel.Rows() {
		rv := releaseView{ReleaseRow: row}
		for _, f := range fl {
			if compareVersions(f.RequiredVersion, row.TenantVersion) <= 0 {
				rv.Flags = append(rv.Flags, f.Name)
			}
		}
		v.Releases = append(v.Releases, rv)
	}
	c.pages.render(w, r, http.StatusOK, "releases", view{Title: "Releases", Who: p, Nav: "releases", Body: v})
}

// overviewView is the overview page's data.
type overviewView struct {
	herd.Overview
	// Versions are the tenants by version, newest first, each drawn by
	// status on one scale.
	Versions []versionRow
	// Failures are the failed tenants, at most herd.WatchedTenants, with their
	// errors; MoreFailures says there are more.
	Failures     []herd.TenantListRow
	MoreFailures bool
	// Rollout is the newest rollout while it is not finished.
	Rollout *rolloutView
}

// versionRow is one version's bar of the overview's chart.
type versionRow struct {
	Version string
	Tenants int
	Bar     bar
}

// chartStatuses are the statuses in the order the chart draws them.
var chartStatuses = []string{string(control.StatusCompleted), string(control.StatusRunning), string(control.StatusPending), string(control.StatusFailed)}

// versionRows draws o's tenants by version and status, newest version
// first, every bar on the scale of the largest.
func versionRows(o herd.Overview) []versionRow {
	byVersion := map[string]map[string]int{}
	for _, g := range o.Groups {
		if byVersion[g.Version] == nil {
			byVersion[g.Version] = map[string]int{}
		}
		byVersion[g.Version][g.Status] += g.Tenants
	}
	most := 0
	for _, n := range o.ByVersion {
		most = max(most, n)
	}
	rows := make([]versionRow, 0, len(byVersion))
	for v, counts := range byVersion {
		rows = append(rows, versionRow{Version: v, Tenants: o.ByVersion[v],
			Bar: newBar(fmt.Sprintf("%d tenants at %s", o.ByVersion[v], v), chartStatuses, counts, most)})
	}
	slices.SortFunc(rows, func(a, b versionRow) int { return compareVersions(b.Version, a.Version) })
	return rows
}

// compareVersions orders schema versions by precedence; "" (never
// migrated) comes first, and what does not parse after it by text.
func compareVersions(a, b string) int {
	va, errA := semver.NewVersion(a)
	vb, errB := semver.NewVersion(b)
	switch {
	case errA == nil && errB == nil:
		return va.Compare(vb)
	case errA == nil:
		return 1
	case errB == nil:
		return -1
	}
	return strings.Compare(a, b)
}

func (c *console) overview(w http.ResponseWriter, r *http.Request, p principal) {
	ctx := r.Context()
	o, err := c.fleet.Overview(ctx)
	if err != nil {
		c.readFailed(w, r, p, err)
		return
	}
	v := overviewView{Overview: o, Versions: versionRows(o)}
	failed, err := c.fleet.TenantPage(ctx, herd.TenantQuery{Status: string(control.StatusFailed), Page: herd.Page{Limit: herd.WatchedTenants}})
	if err != nil {
		c.readFailed(w, r, p, err)
		return
	}
	v.Failures, v.MoreFailures = failed.Tenants, failed.Next != ""
	prog, err := c.fleet.WatchRollout(ctx, 0)
	switch {
	case errors.Is(err, control.ErrRolloutNotFound):
	case err != nil:
		c.readFailed(w, r, p, err)
		return
	case !prog.Rollout.Status.Finished():
		rv := rolloutView{RolloutWatch: prog}
		v.Rollout = &rv
	}
	c.pages.render(w, r, http.StatusOK, "overview", view{Title: "Fleet", Who: p, Nav: "overview", Body: v})
}
