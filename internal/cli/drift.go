package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/event"
)

func (a *app) driftCmd() *cobra.Command {
	var (
		which    tenantsFlags
		asJSON   bool
		printSQL bool
		adopt    bool
	)
	cmd := &cobra.Command{
		Use:   "drift (--tenant CODE [--sql | --adopt] | --all | --tenants SELECTOR) [--json]",
		Short: "Compare tenants' live schemas with the reference schema of their version",
		Long: `Compare each tenant's live schema (tables, columns, primary keys, indexes,
foreign keys, checks and views) with the reference schema of the version the
control database records for it: what the tenant migrations produce on an empty
database. herd builds a reference once per engine and version, on a scratch
database (herd_rehearse_...) of the tenant's server that it drops afterwards,
and keeps it in the control database until a migration on its path changes.

Every difference is a customisation when a rule of herd.yaml's customisations
allows it (for all tenants, the tenant's tier, or the tenant), and drift
otherwise. The result is recorded in the control database, where status --json
and tenant show read it. herd's own tables are never drift.

With --tenant CODE --sql, herd prints the SQL that would bring the tenant back to
its reference (drift only: customisations are left as they are), for a person to
review and run; herd never runs it on the tenant. On SQLite, what cannot be
changed in place (a column, a constraint) is written as SQLite's documented
table rebuild. What herd cannot write is a "-- BY HAND:" comment. herd first
rehearses the script on a copy of the tenant's schema without its rows (a
scratch database it drops) and says in the header whether every statement ran,
every view still runs and no drift is left, or what failed (exit 0 either way:
the script is for reading).

With --tenant CODE --adopt, herd writes the tenant's drift into herd.yaml as
customisations.tenants.CODE rules, one per difference, keeping the file's
comments and layout, for when the differences were agreed.

With --all or --tenants, tenants are compared --concurrency at a time, keeping
to rollout.per_server; tenants never migrated are not compared.

Exit codes: 0 no tenant drifted (customisations are fine), 1 some tenant
drifted or could not be compared, 2 bad input.

` + exitCodes,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := which.check(); err != nil {
				return err
			}
			if (printSQL || adopt) && which.tenant == "" {
				return usagef("--sql and --adopt take one tenant: --tenant CODE")
			}
			if printSQL && (adopt || asJSON) {
				return usagef("--sql prints SQL: it goes with neither --adopt nor --json")
			}
			ctx, many := which.many(cmd.Context(), a)
			var events event.Sink
			if many && !asJSON {
				events = a.driftProgress()
			}
			if adopt {
				return a.adoptDrift(ctx, which.tenant, asJSON)
			}
			return a.withFleet(ctx, herd.Options{Events: events}, func(f *herd.Fleet) error {
				if printSQL {
					script, err := f.DriftSQL(ctx, which.tenant)
					if err != nil {
						return err
					}
					_, err = io.WriteString(a.out, script)
					return err
				}
				var (
					checked    []herd.TenantDrift
					unmigrated []string
					err        error
				)
				if many {
					checked, unmigrated, err = f.DriftTenants(ctx, which.selection(), which.concurrency)
				} else {
					var d herd.TenantDrift
					if d, err = f.Drift(ctx, which.tenant); err == nil {
						checked = []herd.TenantDrift{d}
					}
				}
				switch {
				case asJSON:
					if checked == nil {
						checked = []herd.TenantDrift{}
					}
					if werr := writeJSON(a.out, checked); werr != nil {
						return werr
					}
				case !many && err == nil:
					renderDrift(a.out, checked[0], true)
				default:
					renderDrifts(a.out, checked, unmigrated)
				}
				a.warnUnregistered(ctx, f)
				if errors.Is(err, herd.ErrStopped) {
					return &waitingError{err.Error()}
				}
				if err != nil {
					return err
				}
				return driftedError(checked)
			})
		},
	}
	which.register(cmd, "compared")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&printSQL, "sql", false, "print the SQL that would remove the tenant's drift (herd does not run it)")
	cmd.Flags().BoolVar(&adopt, "adopt", false, "write the tenant's drift into herd.yaml as customisations.tenants.CODE rules")
	return cmd
}

// warnUnregistered prints, on standard error, a warning at herd.yaml's
// line for each tenant of customisations.tenants the control database
// does not register. A registry that cannot be read is left to the
// command's own error.
func (a *app) warnUnregistered(ctx context.Context, f *herd.Fleet) {
	problems, err := f.UnregisteredCustomisations(ctx)
	if err != nil {
		return
	}
	for _, p := range problems {
		p.Msg = "warning: " + p.Msg
		fmt.Fprintln(a.env.Stderr, p)
	}
}

// adoptDrift checks tenant's drift, writes a rule allowing each drift
// difference into herd.yaml's customisations.tenants, and checks (and
// records) the tenant again under the new rules.
func (a *app) adoptDrift(ctx context.Context, tenant string, asJSON bool) error {
	var rules []config.Customisation
	err := a.withFleet(ctx, herd.Options{}, func(f *herd.Fleet) error {
		d, err := f.Drift(ctx, tenant)
		rules = herd.AdoptionRules(d)
		return err
	})
	if err != nil {
		return err
	}
	path := a.configFile()
	if len(rules) > 0 {
		if err := addCustomisations(path, tenant, rules); err != nil {
			return err
		}
		if !asJSON {
			fmt.Fprintf(a.out, "added %s to customisations.tenants.%s in %s:\n", counted(len(rules), "rule"), tenant, path)
			for _, r := range rules {
				fmt.Fprintf(a.out, "  {%s: %q}\n", r.Object, r.Pattern)
			}
		}
	} else if !asJSON {
		fmt.Fprintf(a.out, "%s has no drift: nothing to adopt\n", tenant)
	}
	return a.withFleet(ctx, herd.Options{}, func(f *herd.Fleet) error {
		d, err := f.Drift(ctx, tenant)
		if err != nil {
			return err
		}
		if asJSON {
			return writeJSON(a.out, []herd.TenantDrift{d})
		}
		renderDrift(a.out, d, true)
		return driftedError([]herd.TenantDrift{d})
	})
}

// addCustomisations adds rules for tenant to the herd.yaml at path,
// keeping the rest of the file as it is.
func addCustomisations(path, tenant string, rules []config.Customisation) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := config.AddTenantCustomisations(src, tenant, rules)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.WriteFile(path, out, info.Mode().Perm()); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// driftedError is the error, exit 1, of a check in which some tenant
// drifted; nil when none did.
func driftedError(checked []herd.TenantDrift) error {
	var drifted []string
	for _, d := range checked {
		if d.Drifted > 0 {
			drifted = append(drifted, d.Tenant)
		}
	}
	if len(drifted) == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d tenants drifted: %s", len(drifted), len(checked), strings.Join(drifted, ", "))
}

// driftProgress returns a sink that prints one line per tenant compared.
// It is safe for concurrent use.
func (a *app) driftProgress() event.Sink {
	var mu sync.Mutex
	return event.SinkFunc(func(e event.Event) {
		var line string
		switch e.Type {
		case event.DriftChecked:
			line = fmt.Sprintf("%s: v%s, %s (%dms)", e.Database, e.To, e.Reason, e.Duration.Milliseconds())
		case event.DriftFailed:
			line = fmt.Sprintf("%s: drift check FAILED: %s", e.Database, e.Reason)
		default:
			return
		}
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintln(a.out, line)
	})
}

// renderDrift prints a tenant's drift check: a summary line, then its
// differences (with customisations, or drift only).
func renderDrift(w io.Writer, d herd.TenantDrift, customisations bool) {
	fmt.Fprintf(w, "%s at v%s: %s (checked %s)\n", d.Tenant, d.Version, driftWords(d), d.CheckedAt.Format("2006-01-02 15:04:05 MST"))
	for _, diff := range d.Differences {
		switch {
		case diff.Drift():
			fmt.Fprintf(w, "  drift          %s\n", diff)
		case customisations:
			fmt.Fprintf(w, "  customisation  %s\n", diff)
		}
	}
}

// renderDrifts prints the drift of many tenants: each drifted tenant's
// drift, then counts.
func renderDrifts(w io.Writer, checked []herd.TenantDrift, unmigrated []string) {
	count := map[herd.DriftState]int{}
	for _, d := range checked {
		count[d.State]++
		if d.Drifted > 0 {
			renderDrift(w, d, false)
		}
	}
	fmt.Fprintf(w, "compared %d tenants: %d drifted, %d customised, %d as their reference\n",
		len(checked), count[herd.DriftDrifted], count[herd.DriftCustomised], count[herd.DriftNone])
	if len(unmigrated) > 0 {
		fmt.Fprintf(w, "not compared (never migrated): %s\n", strings.Join(unmigrated, ", "))
	}
}

// driftWords sums up a drift check for people.
func driftWords(d herd.TenantDrift) string {
	switch {
	case d.Drifted > 0 && d.Customised > 0:
		return fmt.Sprintf("DRIFTED (%s, %s)", counted(d.Drifted, "drift difference"), counted(d.Customised, "customisation"))
	case d.Drifted > 0:
		return fmt.Sprintf("DRIFTED (%s)", counted(d.Drifted, "drift difference"))
	case d.Customised > 0:
		return fmt.Sprintf("customised (%s, no drift)", counted(d.Customised, "customisation"))
	}
	return "as its reference"
}

// counted is n with noun, in the plural unless n is 1.
func counted(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
