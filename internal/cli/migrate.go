package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/vbauerster/mpb/v8"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/event"
)

// selector is the --system | --tenant CODE | --all | --tenants SELECTOR
// choice.
type selector struct {
	system     bool
	tenant     string
	all        bool
	tenants    string
	allowEmpty bool
}

func (s *selector) flags(cmd *cobra.Command, withAll bool) {
	cmd.Flags().BoolVar(&s.system, "system", false, "the system (control) database")
	cmd.Flags().StringVar(&s.tenant, "tenant", "", "the tenant with this code")
	if withAll {
		cmd.Flags().BoolVar(&s.all, "all", false, "the system database, then every tenant")
		cmd.Flags().StringVar(&s.tenants, "tenants", "", "the system database, then the tenants SELECTOR names (codes, tier=T, server=S, tag:K=V, size=large|small or @FILE)")
		cmd.Flags().BoolVar(&s.allowEmpty, "allow-empty", false, "let --tenants match no tenant (then only the system database is migrated)")
	}
}

// fleetWide reports whether the choice is --all or --tenants.
func (s *selector) fleetWide() bool { return s.all || s.tenants != "" }

// ref returns the chosen database; exactly one choice must be made.
func (s *selector) ref(allowed string) (herd.Ref, error) {
	n := 0
	for _, set := range []bool{s.system, s.tenant != "", s.all, s.tenants != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		return herd.Ref{}, usagef("say which database: %s", allowed)
	}
	if s.tenant != "" {
		if err := herd.ValidateTenantCode(s.tenant); err != nil {
			return herd.Ref{}, err
		}
		return herd.TenantRef(s.tenant), nil
	}
	return herd.SystemRef(), nil
}

func (a *app) migrateCmd() *cobra.Command {
	var (
		sel         selector
		to          string
		concurrency int
		strategy    string
	)
	cmd := &cobra.Command{
		Use:   "migrate (--system | --tenant CODE | --all | --tenants SELECTOR) [--to VERSION]",
		Short: "Bring databases to a version, up or down",
		Long: `Bring databases to a version, up or down. With --all, the system database goes first,
then every tenant, --concurrency at a time; --tenants SELECTOR does the same for the
tenants it names, and refuses a selector that matches no tenant unless --allow-empty.
The first SIGINT or SIGTERM starts no other tenant and lets those in flight finish
(exit 3; running it again carries on), a second stops at once.

--strategy shadow (with --tenant, up only) migrates a copy of the tenant instead of
the tenant: herd copies it beside itself while the application keeps reading and
writing, catches the copy up, freezes the tenant's writes (not its reads) for at
most shadow.freeze_timeout a try, verifies the copy, migrates it and switches the
tenant to it; the old database stays as its rollback point (herd rollback switches
back, herd cleanup drops it). Anything failing before the switch leaves the tenant
as it was.

` + exitCodes,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ref, err := sel.ref("--system, --tenant CODE, --all or --tenants SELECTOR")
			if err != nil {
				return err
			}
			if sel.allowEmpty && sel.tenants == "" {
				return usagef("--allow-empty goes with --tenants SELECTOR")
			}
			if err := checkConcurrency(concurrency); err != nil {
				return err
			}
			switch {
			case strategy != strategyInPlace && strategy != strategyShadow:
				return usagef("--strategy %q: want %s or %s", strategy, strategyInPlace, strategyShadow)
			case strategy == strategyShadow && sel.tenant == "":
				return usagef("--strategy shadow migrates one tenant: give --tenant CODE")
			}
			ctx := cmd.Context()
			if sel.fleetWide() {
				ctx = a.interrupts.graceful(ctx)
			}
			progress := a.progress()
			defer progress.close()
			return a.withFleet(ctx, herd.Options{Events: progress}, func(f *herd.Fleet) error {
				if !sel.system {
					if err := f.CheckRelease(ctx, to); err != nil {
						return err
					}
				}
				if sel.fleetWide() {
					err := f.MigrateTenants(ctx, herd.Selection{Tenants: sel.tenants, AllowEmpty: sel.all || sel.allowEmpty}, to, concurrency)
					if errors.Is(err, herd.ErrStopped) {
						return &waitingError{err.Error()}
					}
					return allowEmptyHint(err)
				}
				if strategy == strategyShadow {
					return f.MigrateShadow(ctx, sel.tenant, to)
				}
				return f.Migrate(ctx, ref, to)
			})
		},
	}
	sel.flags(cmd, true)
	cmd.Flags().StringVar(&to, "to", "", "target version or release (default: the latest)")
	cmd.Flags().StringVar(&strategy, "strategy", strategyInPlace, "in-place, or shadow: migrate a copy of the tenant and switch to it (--tenant only)")
	cmd.Flags().IntVar(&concurrency, "concurrency", 4, fmt.Sprintf("tenants migrated at once with --all or --tenants (%d..%d)", minConcurrency, maxConcurrency))
	return cmd
}

// The strategies of migrate --strategy.
const (
	strategyInPlace = "in-place"
	strategyShadow  = "shadow"
)

// The range of --concurrency. A runner holds a connection per tenant in
// flight; beyond maxConcurrency a fleet-wide run would exhaust any
// server's connections (PostgreSQL allows 100 by default) long before it
// got faster.
const (
	minConcurrency = 1
	maxConcurrency = 1024
)

func checkConcurrency(n int) error {
	if n < minConcurrency || n > maxConcurrency {
		return usagef("--concurrency %d: want %d to %d", n, minConcurrency, maxConcurrency)
	}
	return nil
}

// allowEmptyHint names --allow-empty in the error of a selector that
// matched no tenant.
func allowEmptyHint(err error) error {
	if errors.Is(err, herd.ErrNoTenant) {
		return fmt.Errorf("%w (--allow-empty if you mean it)", err)
	}
	return err
}

// migrateProgress shows a migrate run's events: a line per finished
// migration, per retry after a lock wait and per throttle wait, and the
// progress of chunked migrations, as a bar each on a terminal (see
// chunkBars, with the lines printed above the bars), otherwise as a line
// at most a second per database. It is an event.Sink, safe for concurrent
// use; close stops its bars.
type migrateProgress struct {
	mu     sync.Mutex
	w      io.Writer
	bars   *mpb.Progress // nil off a terminal, until the first chunk
	tty    *os.File
	chunks *chunkBars
}

func (a *app) progress() *migrateProgress {
	return &migrateProgress{w: a.out, tty: terminal(a.env.Stdout)}
}

// Send renders one event.
func (p *migrateProgress) Send(e event.Event) {
	var text string
	switch e.Type {
	case event.LockRetry:
		text = fmt.Sprintf("%s: %s %s: %s", e.Database, e.Migration, e.Direction, e.Reason)
	case event.ChunkThrottled:
		text = throttleLine(e)
	case event.MigrationDone, event.MigrationFailed:
		outcome := map[event.Type]string{event.MigrationDone: "ok", event.MigrationFailed: "FAILED"}[e.Type]
		text = fmt.Sprintf("%s: %s %s %s (%dms)", e.Database, e.Migration, e.Direction, outcome, e.Duration.Milliseconds())
	case event.Chunk:
		if p.tty != nil {
			p.drawChunk(e)
			return
		}
		text = chunkLine(e)
	case event.ShadowCapture, event.ShadowCopy, event.ShadowCatchUpProgress, event.ShadowCatchUp, event.ShadowFreeze,
		event.ShadowVerify, event.ShadowMigrate, event.ShadowCutOver, event.ShadowSwitch, event.ShadowAbandoned:
		text = fmt.Sprintf("%s: %s: %s", e.Database, e.Type, e.Reason)
		if e.Duration > 0 {
			text += fmt.Sprintf(" (%dms)", e.Duration.Milliseconds())
		}
	default:
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.w, text)
}

// drawChunk moves a chunked migration's bar, drawing the bars from the
// first, with the lines printed above them from then on.
func (p *migrateProgress) drawChunk(e event.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bars == nil {
		p.bars = mpb.New(mpb.WithOutput(p.tty), mpb.WithWidth(30))
		p.chunks = newChunkBars(p.bars)
		p.w = above(p.w, p.bars)
	}
	p.chunks.update(e)
}

// close stops the bars, leaving them drawn.
func (p *migrateProgress) close() {
	p.mu.Lock()
	bars := p.bars
	if bars != nil {
		p.chunks.abort()
	}
	p.mu.Unlock()
	if bars != nil {
		bars.Wait()
	}
}

func (a *app) planCmd() *cobra.Command {
	var (
		sel      selector
		to       string
		asJSON   bool
		rehearse bool
	)
	cmd := &cobra.Command{
		Use:   "plan (--system | --tenant CODE) [--to VERSION] [--rehearse]",
		Short: "Show the path a database would take to a version, without changing anything",
		Long: `Show the path a database would take to a version, without changing anything.

With --rehearse (a tenant only), the path also runs on a scratch database
holding the tenant's schema without its rows, as a migration's pre-flight
does: a statement that would trip on the tenant's own changes (a column it
already has, a column its custom view uses) is reported at its file:line,
exit 2; the scratch database is dropped afterwards.

` + exitCodes,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ref, err := sel.ref("--system or --tenant CODE")
			if err != nil {
				return err
			}
			return a.withFleet(cmd.Context(), herd.Options{}, func(f *herd.Fleet) error {
				d, err := f.PlanDetail(cmd.Context(), ref, to)
				if err != nil {
					return err
				}
				for _, l := range d.SnapshotLimits {
					fmt.Fprintf(a.env.Stderr, "warning: a snapshot of tenant %s cannot take along what it uses from outside its schema: %s\n", ref.Identifier, l)
				}
				var conflict error
				if rehearse {
					if ref.Type != herd.TenantDatabase {
						return usagef("--rehearse rehearses a tenant's path: use it with --tenant CODE")
					}
					if conflict = f.Preflight(cmd.Context(), ref.Identifier, to); conflict != nil && !herd.IsInputError(conflict) {
						return conflict
					}
				}
				if asJSON {
					v := planJSON(d)
					if rehearse {
						v.Rehearsed = &rehearsalView{Conflict: errorText(conflict)}
					}
					if err := writeJSON(a.out, v); err != nil {
						return err
					}
				} else {
					renderPlan(a.out, d)
					if rehearse && conflict == nil {
						fmt.Fprintln(a.out, "rehearsed on a copy of the tenant's schema: no conflict")
					}
				}
				return conflict
			})
		},
	}
	sel.flags(cmd, false)
	cmd.Flags().StringVar(&to, "to", "", "target version or release (default: the latest)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&rehearse, "rehearse", false, "also run the path on a copy of the tenant's schema without rows, and report a conflict")
	return cmd
}

// rehearsalView is what plan --rehearse found.
type rehearsalView struct {
	// Conflict is the conflict the rehearsal met; "" when none.
	Conflict string `json:"conflict,omitempty"`
}

// errorText is err's message, "" for nil.
func errorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

type planView struct {
	Database herd.Ref `json:"database"`
	From     string   `json:"from"`
	To       string   `json:"to"`
	// SizeClass is a tenant's, by its last analysis (herd analyze).
	SizeClass herd.SizeClass `json:"size_class,omitempty"`
	Steps     []stepView     `json:"steps"`
	// Rehearsed is set by --rehearse.
	Rehearsed *rehearsalView `json:"rehearsed,omitempty"`
}

type stepView struct {
	Migration string         `json:"migration"`
	Direction herd.Direction `json:"direction"`
	Kind      string         `json:"kind"`
	// Chunked is what a chunked migration going up is expected to take.
	Chunked *herd.ChunkEstimate `json:"chunked,omitempty"`
}

func planJSON(d herd.PlanDetail) planView {
	p := d.Plan
	v := planView{Database: d.Ref, From: schemaVersion(p.From), To: schemaVersion(p.To), SizeClass: d.SizeClass, Steps: []stepView{}}
	for _, s := range p.Steps {
		v.Steps = append(v.Steps, stepView{Migration: s.Migration.ID(), Direction: s.Direction, Kind: string(s.Migration.Kind),
			Chunked: d.Chunk(s.Migration.ID())})
	}
	return v
}

func renderPlan(w io.Writer, d herd.PlanDetail) {
	p := d.Plan
	fmt.Fprintf(w, "%s: %s -> v%s\n", d.Ref, versionLabel(schemaVersion(p.From)), p.To)
	if d.SizeClass != "" {
		fmt.Fprintf(w, "  size: %s\n", d.SizeClass)
	}
	if len(p.Steps) == 0 {
		fmt.Fprintln(w, "  nothing to do")
	}
	for _, s := range p.Steps {
		fmt.Fprintf(w, "  %-4s %s (%s)%s\n", s.Direction, s.Migration.ID(), s.Migration.Kind, chunkNote(d.Chunk(s.Migration.ID())))
	}
}

// chunkNote says how a chunked migration is expected to run: "" for
// any other.
func chunkNote(c *herd.ChunkEstimate) string {
	switch {
	case c == nil:
		return ""
	case c.Whole:
		return ", chunked: runs whole, as one statement (small tenant)"
	case !c.Analyzed:
		return fmt.Sprintf(", chunked over %s: ranges unknown (herd analyze has not measured it)", c.Table)
	}
	return fmt.Sprintf(", chunked over %s: %d rows, about %d ranges", c.Table, c.Rows, c.Ranges)
}

func versionLabel(v string) string {
	if v == "" {
		return "none"
	}
	return "v" + v
}

func (a *app) statusCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show every database's version and migration status",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return show(a, cmd, asJSON, view[[]herd.StatusRow]{
				read:   (*herd.Fleet).Status,
				render: renderStatus,
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func renderStatus(w io.Writer, rows []herd.StatusRow) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tDATABASE\tVERSION\tTARGET\tSTATUS\tSIZE\tDRIFT\tLAST ERROR")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Type, r.Identifier, versionLabel(r.CurrentVersion),
			versionLabel(r.TargetVersion), r.Status, orDash(string(r.SizeClass)), driftLabel(r.Drift), r.LastError)
	}
	tw.Flush()
}

// driftLabel is a tenant's last drift check in a status row: "-" before
// the first, else its state with the count of what makes it so.
func driftLabel(d *herd.TenantDrift) string {
	switch {
	case d == nil:
		return "-"
	case d.Drifted > 0:
		return fmt.Sprintf("%s %d", d.State, d.Drifted)
	case d.Customised > 0:
		return fmt.Sprintf("%s %d", d.State, d.Customised)
	}
	return string(d.State)
}

func (a *app) repairCmd() *cobra.Command {
	var (
		sel       selector
		action    string
		uncertain string
	)
	cmd := &cobra.Command{
		Use:   "repair (--system | --tenant CODE) [--action ACTION] [--uncertain ran|not-ran]",
		Short: "Show or resolve a migration left dirty by a failure part-way",
		Long: `Without --action, repair shows the dirty migration and the statement it stopped at,
and on PostgreSQL any invalid index a failed CREATE INDEX CONCURRENTLY left, with
the statement that drops it (retry refuses to run while there is one).
Actions:
  retry             run the remaining statements
  rollback          undo the completed statements with the matching down statements
  mark-applied      record the migration as applied (you finished it by hand)
  mark-rolled-back  forget the migration (you undid it by hand)
  remove-shadow     remove what an interrupted shadow migration left: the capture
                    triggers in the tenant and its shadow (--tenant only)
When the statement that was running has an unknown outcome (the process was killed),
retry and rollback need --uncertain ran or --uncertain not-ran.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ref, err := sel.ref("--system or --tenant CODE")
			if err != nil {
				return err
			}
			if action == removeShadow {
				if sel.tenant == "" {
					return usagef("--action %s goes with --tenant CODE", removeShadow)
				}
				return a.withFleet(cmd.Context(), herd.Options{}, func(f *herd.Fleet) error {
					how, err := f.RemoveShadow(cmd.Context(), sel.tenant)
					if err != nil {
						return err
					}
					fmt.Fprintf(a.out, "%s: %s\n", ref, how)
					return nil
				})
			}
			act, unc, err := repairChoice(action, uncertain)
			if err != nil {
				return err
			}
			return a.withFleet(cmd.Context(), herd.Options{}, func(f *herd.Fleet) error {
				if act == "" {
					return a.showDirty(cmd, f, ref)
				}
				before, err := f.Repair(cmd.Context(), ref, act, unc)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.out, "%s: %s: was %s\n", ref, act, before.Describe())
				return nil
			})
		},
	}
	sel.flags(cmd, false)
	cmd.Flags().StringVar(&action, "action", "", "retry, rollback, mark-applied, mark-rolled-back or remove-shadow")
	cmd.Flags().StringVar(&uncertain, "uncertain", "", "whether the statement with an unknown outcome ran: ran or not-ran")
	return cmd
}

// removeShadow is repair's action on a shadow migration left behind.
const removeShadow = "remove-shadow"

func repairChoice(action, uncertain string) (herd.RepairAction, herd.Uncertain, error) {
	act := herd.RepairAction(action)
	switch act {
	case "", herd.RepairRetry, herd.RepairRollback, herd.RepairMarkApplied, herd.RepairMarkRolledBack:
	default:
		return "", "", usagef("--action %q: want retry, rollback, mark-applied, mark-rolled-back or %s", action, removeShadow)
	}
	unc := herd.Uncertain(uncertain)
	switch unc {
	case herd.UncertainUnknown, herd.UncertainRan, herd.UncertainNotRan:
	default:
		return "", "", usagef("--uncertain %q: want ran or not-ran", uncertain)
	}
	return act, unc, nil
}

func (a *app) showDirty(cmd *cobra.Command, f *herd.Fleet, ref herd.Ref) error {
	e, ok, err := f.Dirty(cmd.Context(), ref)
	if err != nil {
		return err
	}
	invalid, err := f.InvalidIndexes(cmd.Context(), ref)
	if err != nil {
		return err
	}
	var left herd.ShadowStatus
	if ref.Type == herd.TenantDatabase {
		if left, err = f.ShadowLeftBehind(cmd.Context(), ref.Identifier); err != nil {
			return err
		}
	}
	if !ok && len(invalid) == 0 && !left.LeftBehind() {
		fmt.Fprintf(a.out, "%s: nothing to repair\n", ref)
		return nil
	}
	if left.LeftBehind() {
		does := "removes it (the next --strategy shadow does too)"
		if left.Unrecorded != nil {
			does = "records it (the next --strategy shadow or herd rollback does too)"
		}
		fmt.Fprintf(a.out, "%s: an interrupted shadow migration left %s: --action %s %s\n", ref, describeLeft(left), removeShadow, does)
	}
	if ok {
		fmt.Fprintf(a.out, "%s: %s\n", ref, e.Describe())
	}
	for _, ix := range invalid {
		fmt.Fprintf(a.out, "%s: invalid index %s on %s.%s, left by a failed CREATE INDEX CONCURRENTLY (or being built now): "+
			"drop it before --action retry or rollback: %s\n", ref, ix.Index, ix.Schema, ix.Table, ix.Drop)
	}
	return nil
}

// describeLeft says what an interrupted shadow migration left.
func describeLeft(st herd.ShadowStatus) string {
	switch u := st.Unrecorded; {
	case u != nil && u.Back != nil:
		return fmt.Sprintf("a switch back by rename that the control database did not record (%s took the name %s, %s the name %s)",
			u.Back.NewDatabase, u.Aside, u.Back.OldDatabase, u.Back.NewDatabase)
	case u != nil:
		return fmt.Sprintf("a switch by rename that the control database did not record (the tenant's database took the name %s, "+
			"its migrated copy the tenant's: the tenant is on it)", u.Old)
	}
	var parts []string
	switch {
	case st.Sealed:
		parts = append(parts, fmt.Sprintf("capture triggers in the tenant (%d changes captured), sealed by a cut-over whose switch was not made: "+
			"the tenant refuses writes until they are removed", st.Changes))
	case st.Capturing:
		parts = append(parts, fmt.Sprintf("capture triggers in the tenant (%d changes captured)", st.Changes))
	}
	switch {
	case st.Marked:
		parts = append(parts, "its shadow "+st.Shadow)
	case st.Unfinished:
		parts = append(parts, "its unfinished copy "+st.Shadow)
	}
	return strings.Join(parts, " and ")
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// nonNil makes an empty list print as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
