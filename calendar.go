package herd

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
)

// The bounds of a calendar (see CalendarRequest).
const (
	// DefaultCalendarWeeks is how far ahead a calendar looks when the
	// request does not say; MaxCalendarWeeks the farthest it may ask.
	DefaultCalendarWeeks = 4
	MaxCalendarWeeks     = 26
	// MaxCalendarEvents bounds a calendar's events; the earliest are kept.
	MaxCalendarEvents = 2000
	// calendarNamedTenants is how many tenants an event's description names.
	calendarNamedTenants = 50
)

// CalendarRequest says whose upcoming upgrades a calendar shows: one
// tenant, the tenants of one tier, or (neither) every tenant.
type CalendarRequest struct {
	// Tenant is a tenant's code; Tier, when Tenant is empty, a tier.
	Tenant, Tier string
	// Weeks is how far ahead the calendar looks, from 1 to
	// MaxCalendarWeeks; 0 means DefaultCalendarWeeks.
	Weeks int
}

// Calendar is a tenant's (or a tier's) upcoming upgrades: the rollouts
// that will migrate its tenants, and the openings of their maintenance
// windows, as events a calendar application can subscribe to.
type Calendar struct {
	// Name names whose calendar it is, as in "herd: tenant alpha".
	Name string
	// Generated is when it was read, by the Fleet's clock; Until the end
	// of the weeks it covers.
	Generated, Until time.Time
	// Events are in order of their start.
	Events []CalendarEvent
	// Truncated says that events past MaxCalendarEvents were left out.
	Truncated bool
}

// CalendarEventKind says what a calendar event announces.
type CalendarEventKind string

// The kinds of calendar event.
const (
	// CalendarUpgrade is a rollout that will migrate the tenants: from
	// when it may start (its --at time, inside their maintenance window)
	// until the window closes; without a window it is an instant.
	CalendarUpgrade CalendarEventKind = "upgrade"
	// CalendarMaintenance is one opening of the tenants' maintenance
	// window, when herd may migrate them.
	CalendarMaintenance CalendarEventKind = "maintenance"
)

// CalendarEvent is one event of a Calendar. Tenants sharing a window (a
// tier's, or the default) share its events.
type CalendarEvent struct {
	// UID identifies the event across reads of the calendar.
	UID  string
	Kind CalendarEventKind
	// Start and End bound it; End is zero for an instant.
	Start, End           time.Time
	Summary, Description string
	// Tenants are the codes it concerns, in order.
	Tenants []string
	// Rollout and Release are an upgrade's rollout and its release.
	Rollout int64
	Release string
	// Window describes the maintenance window, "" when there is none.
	Window string
}

// Calendar returns the upcoming upgrades of the tenants req names: the
// scheduled (herd rollout start --at) and running rollouts that hold
// them as pending, each at the first opening of the tenant's
// maintenance window from the rollout's start, and the openings of their
// windows over the next req.Weeks weeks, by the Fleet's clock. An
// unknown tenant is an error wrapping control.ErrTenantNotFound; an
// unknown tier (no tenant has it and no window names it) or weeks out
// of range is an *InputError. It only reads.
func (f *Fleet) Calendar(ctx context.Context, req CalendarRequest) (Calendar, error) {
	weeks := cmp.Or(req.Weeks, DefaultCalendarWeeks)
	if weeks < 1 || weeks > MaxCalendarWeeks {
		return Calendar{}, &InputError{Err: fmt.Errorf("calendar: weeks %d: want 1 to %d", req.Weeks, MaxCalendarWeeks)}
	}
	tenants, name, scope, err := f.calendarTenants(ctx, req)
	if err != nil {
		return Calendar{}, err
	}
	now := f.opts.Now().UTC().Truncate(time.Second)
	cal := Calendar{Name: name, Generated: now, Until: now.AddDate(0, 0, 7*weeks)}
	windows := make(map[string]*config.Window, len(tenants))
	for _, t := range tenants {
		windows[t.Code] = f.cfg.Windows.For(t.Code, t.Tier)
	}
	// Tenants that share a window share its openings: they are worked
	// out once per window.
	sharing := map[string][]string{}
	for _, t := range tenants {
		if w := windows[t.Code]; w != nil {
			sharing[w.String()] = append(sharing[w.String()], t.Code)
		}
	}
	var raw []CalendarEvent
	for _, codes := range sharing {
		w := windows[codes[0]]
		for _, o := range w.Occurrences(now, cal.Until) {
			raw = append(raw, CalendarEvent{Kind: CalendarMaintenance, Start: o.Start.UTC(), End: o.End.UTC(), Tenants: codes, Window: w.String()})
		}
	}
	upgrades, err := f.upgrades(ctx, windows, now, cal.Until)
	if err != nil {
		return Calendar{}, err
	}
	cal.Events = calendarEvents(append(raw, upgrades...), scope)
	if len(cal.Events) > MaxCalendarEvents {
		cal.Events, cal.Truncated = cal.Events[:MaxCalendarEvents], true
	}
	return cal, nil
}

// calendarTenants returns the tenants req names, the calendar's name and
// the scope its events' UIDs are made in.
func (f *Fleet) calendarTenants(ctx context.Context, req CalendarRequest) ([]control.Tenant, string, string, error) {
	if req.Tenant != "" {
		t, err := f.control.Tenant(ctx, req.Tenant)
		if err != nil {
			return nil, "", "", err
		}
		return []control.Tenant{t}, "herd: tenant " + t.Code, "tenant:" + t.Code, nil
	}
	all, err := f.control.Tenants(ctx)
	if err != nil {
		return nil, "", "", fmt.Errorf("calendar: %w", err)
	}
	if req.Tier == "" {
		return all, "herd: every tenant", "fleet", nil
	}
	var in []control.Tenant
	tiers := map[string]bool{}
	for _, t := range all {
		tiers[t.Tier] = true
		if t.Tier == req.Tier {
			in = append(in, t)
		}
	}
	if _, windowed := f.cfg.Windows.Tiers[req.Tier]; len(in) == 0 && !windowed {
		for tier := range f.cfg.Windows.Tiers {
			tiers[tier] = true
		}
		return nil, "", "", &InputError{Err: fmt.Errorf("calendar: unknown tier %q: no tenant has it and no maintenance window names it (tiers: %s)",
			req.Tier, strings.Join(slices.Sorted(maps.Keys(tiers)), ", "))}
	}
	return in, "herd: tier " + req.Tier, "tier:" + req.Tier, nil
}

// upgrades returns an event per tenant of windows (by code) that a
// scheduled or running rollout holds as pending: from the rollout's
// start (or now), at the first opening of the tenant's window, before
// until.
func (f *Fleet) upgrades(ctx context.Context, windows map[string]*config.Window, now, until time.Time) ([]CalendarEvent, error) {
	rollouts, err := f.control.Rollouts(ctx)
	if err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	var out []CalendarEvent
	for _, r := range rollouts {
		if r.Status != control.RolloutScheduled && r.Status != control.RolloutRunning {
			continue
		}
		from := now
		if r.StartAt != nil && r.StartAt.After(now) {
			from = r.StartAt.UTC()
		}
		if !from.Before(until) {
			continue
		}
		items, err := f.control.Items(ctx, r.ID)
		if err != nil {
			return nil, fmt.Errorf("calendar: rollout %d: %w", r.ID, err)
		}
		// The first opening from the rollout's start of each window, once.
		first := map[string][]config.Occurrence{}
		for _, it := range items {
			w, ok := windows[it.Tenant]
			if !ok || it.State != control.ItemPending {
				continue
			}
			ev := CalendarEvent{Kind: CalendarUpgrade, Start: from, Tenants: []string{it.Tenant}, Rollout: r.ID, Release: r.Release}
			if w != nil {
				opens, ok := first[w.String()]
				if !ok {
					opens = w.Occurrences(from, until)
					first[w.String()] = opens
				}
				if len(opens) == 0 {
					continue // not within the weeks the calendar covers
				}
				ev.Start, ev.End, ev.Window = later(opens[0].Start, from).UTC(), opens[0].End.UTC(), w.String()
			}
			out = append(out, ev)
		}
	}
	return out, nil
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// calendarEvents merges the per-tenant events raw that share their kind,
// rollout, times and window into one naming all their tenants, and
// gives each its summary, description and a UID made in scope.
func calendarEvents(raw []CalendarEvent, scope string) []CalendarEvent {
	type key struct {
		kind       CalendarEventKind
		rollout    int64
		start, end int64
		window     string
	}
	byKey := map[key]*CalendarEvent{}
	var order []key
	for _, ev := range raw {
		k := key{ev.Kind, ev.Rollout, ev.Start.Unix(), ev.End.Unix(), ev.Window}
		if g, ok := byKey[k]; ok {
			g.Tenants = append(g.Tenants, ev.Tenants...)
			continue
		}
		ev.Tenants = slices.Clone(ev.Tenants) // raw events may share their list
		byKey[k] = &ev
		order = append(order, k)
	}
	out := make([]CalendarEvent, 0, len(order))
	for _, k := range order {
		ev := byKey[k]
		slices.Sort(ev.Tenants)
		ev.Summary, ev.Description = describeEvent(*ev)
		// An upgrade without a window starts when its rollout may: now, for
		// a running one, which must not make it a new event at each read.
		at := k.start
		if k.kind == CalendarUpgrade && k.window == "" {
			at = 0
		}
		sum := sha256.Sum256(fmt.Appendf(nil, "%s|%s|%d|%d|%d|%s", scope, k.kind, k.rollout, at, k.end, k.window))
		ev.UID = fmt.Sprintf("%s-%s@herd", k.kind, hex.EncodeToString(sum[:10]))
		out = append(out, *ev)
	}
	slices.SortFunc(out, func(a, b CalendarEvent) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.UID, b.UID))
	})
	return out
}

// describeEvent returns an event's summary and description.
func describeEvent(ev CalendarEvent) (summary, description string) {
	who := "tenant " + ev.Tenants[0]
	if len(ev.Tenants) > 1 {
		who = fmt.Sprintf("%d tenants", len(ev.Tenants))
	}
	var d strings.Builder
	switch ev.Kind {
	case CalendarUpgrade:
		summary = fmt.Sprintf("Upgrade to %s (%s)", ev.Release, who)
		fmt.Fprintf(&d, "herd rollout %d will migrate %s to release %s", ev.Rollout, who, ev.Release)
		if ev.Window != "" {
			fmt.Fprintf(&d, " in this maintenance window (%s)", ev.Window)
		} else {
			d.WriteString(" from this time (there is no maintenance window)")
		}
		d.WriteString(". The application may be briefly unavailable while it does.")
	case CalendarMaintenance:
		summary = fmt.Sprintf("Maintenance window (%s)", who)
		fmt.Fprintf(&d, "herd may migrate %s in this window (%s). An upgrade planned in it is its own event.", who, ev.Window)
	}
	if len(ev.Tenants) > 1 {
		shown := ev.Tenants[:min(len(ev.Tenants), calendarNamedTenants)]
		fmt.Fprintf(&d, "\nTenants: %s", strings.Join(shown, ", "))
		if n := len(ev.Tenants) - len(shown); n > 0 {
			fmt.Fprintf(&d, " and %d more", n)
		}
	}
	return summary, d.String()
}
