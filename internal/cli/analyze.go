package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/event"
)

func (a *app) analyzeCmd() *cobra.Command {
	var (
		which  tenantsFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "analyze (--tenant CODE | --all | --tenants SELECTOR) [--json]",
		Short: "Measure tenants' rows and bytes and record them in the control database",
		Long: `Measure each table of the tenants' databases, rows and bytes, from the engine's
catalog statistics (PostgreSQL pg_class, MySQL/MariaDB information_schema.TABLES,
SQLite dbstat), and record the result in the control database, where status,
tenant show, plan, selectors (size=large) and waves (sizes: [large]) read it.
Estimates are as fresh as the engine's last ANALYZE; the output marks them with ~.
With --all or --tenants, tenants are measured --concurrency at a time, keeping
to rollout.per_server; the first SIGINT or SIGTERM starts no other tenant.

` + exitCodes,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := which.check(); err != nil {
				return err
			}
			ctx, many := which.many(cmd.Context(), a)
			var events event.Sink
			if !asJSON {
				events = a.analysisProgress()
			}
			return a.withFleet(ctx, herd.Options{Events: events}, func(f *herd.Fleet) error {
				var (
					sizes []herd.TenantSize
					err   error
				)
				if many {
					sizes, err = f.AnalyzeTenants(ctx, which.selection(), which.concurrency)
				} else {
					var sz herd.TenantSize
					if sz, err = f.Analyze(ctx, which.tenant); err == nil {
						sizes = []herd.TenantSize{sz}
					}
				}
				switch {
				case asJSON:
					if sizes == nil {
						sizes = []herd.TenantSize{}
					}
					if werr := writeJSON(a.out, sizes); werr != nil {
						return werr
					}
				case !many && err == nil:
					renderTables(a.out, sizes[0], f.SizeClass(sizes[0]))
				case err == nil || len(sizes) > 0:
					renderClasses(a.out, sizes, f.SizeClass)
				}
				if errors.Is(err, herd.ErrStopped) {
					return &waitingError{err.Error()}
				}
				return err
			})
		},
	}
	which.register(cmd, "measured")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// analysisProgress returns a sink that prints one line per tenant
// analysed, as migrate --all prints one per migration. It is safe for
// concurrent use.
func (a *app) analysisProgress() event.Sink {
	var mu sync.Mutex
	return event.SinkFunc(func(e event.Event) {
		var line string
		switch e.Type {
		case event.AnalysisDone:
			line = fmt.Sprintf("%s: analyzed, %d rows, %s (%dms)", e.Database, e.Rows, byteCount(e.Bytes), e.Duration.Milliseconds())
		case event.AnalysisFailed:
			line = fmt.Sprintf("%s: analysis FAILED: %s", e.Database, e.Reason)
		default:
			return
		}
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintln(a.out, line)
	})
}

// renderTables prints one tenant's tables and totals, with its size
// class; estimates carry ~.
func renderTables(w io.Writer, sz herd.TenantSize, class herd.SizeClass) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tROWS\tBYTES")
	for _, t := range sz.Tables {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Table, rowCount(t.Rows, t.RowsEstimated), bytesLabel(t.Bytes, t.BytesEstimated))
	}
	fmt.Fprintf(tw, "(total)\t%s\t%s\n", rowCount(sz.Rows, sz.RowsEstimated), bytesLabel(sz.Bytes, sz.BytesEstimated))
	tw.Flush()
	fmt.Fprintf(w, "tenant %s is %s\n", sz.Tenant, class)
}

// renderClasses prints how many of the tenants analysed are of each size
// class.
func renderClasses(w io.Writer, sizes []herd.TenantSize, class func(herd.TenantSize) herd.SizeClass) {
	count := map[herd.SizeClass]int{}
	for _, sz := range sizes {
		count[class(sz)]++
	}
	fmt.Fprintf(w, "analyzed %d tenants: %d large, %d small\n", len(sizes), count[herd.SizeLarge], count[herd.SizeSmall])
}

// renderSize prints a tenant's size in tenant show.
func renderSize(w io.Writer, d herd.TenantDetail) {
	if d.Size == nil {
		fmt.Fprintf(w, "size      %s (never analyzed: herd analyze --tenant %s)\n", d.SizeClass, d.Code)
		return
	}
	sz := d.Size
	fmt.Fprintf(w, "size      %s: %s rows, %s (analyzed %s)\n", d.SizeClass, rowCount(sz.Rows, sz.RowsEstimated),
		bytesLabel(sz.Bytes, sz.BytesEstimated), sz.AnalyzedAt.Format("2006-01-02 15:04:05 MST"))
}

func rowCount(n int64, estimated bool) string {
	return approx(estimated) + fmt.Sprint(n)
}

func bytesLabel(n int64, estimated bool) string {
	return approx(estimated) + byteCount(n)
}

func approx(estimated bool) string {
	if estimated {
		return "~"
	}
	return ""
}

// byteCount renders n bytes in binary units: 512 B, 1.5 KiB, 12.0 GiB.
func byteCount(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %siB", float64(n)/float64(div), strings.Split("K,M,G,T,P,E", ",")[exp])
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
