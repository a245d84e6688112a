package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/herdhq/herd"
)

func (a *app) tenantImportCmd() *cobra.Command {
	var (
		opts   herd.ImportOptions
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "import FILE [--create] [--update] [--batch N] [--json]",
		Short: "Register many tenants from a CSV or JSON-lines file",
		Long: `import registers the tenants of FILE: CSV with a header naming some of
code, name, tier, server, database, tags and features (tags and features
separated by semicolons), or JSON lines with those keys (tags and features as
arrays). A .csv file is CSV; .jsonl, .ndjson or .json is JSON lines; otherwise
the first character decides. database defaults to the name tenant_database
renders; server to the default server.

The whole file is checked first, and every bad row is reported as FILE:LINE
(a bad code, tier or feature, an unknown server, a code or database given
twice, a database that does not exist, one another fleet owns); then nothing
is registered and herd exits 2. Otherwise the new tenants are registered, with
a progress line after each --batch. Without --create a tenant whose database
does not exist is refused; with it, the database is created. Importing the
same file again changes nothing; a registered tenant whose row differs is
reported, and changed only with --update. Once tenants are registered or
changed, herd asks the control database's engine to refresh its statistics of
the registry (ANALYZE), so that its planner pages the tenants by index.

` + exitCodes,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Batch < 1 {
				return usagef("--batch must be at least 1")
			}
			if !asJSON {
				opts.Progress = func(done, total int) {
					fmt.Fprintf(a.env.Stderr, "registered %d of %d\n", done, total)
				}
			}
			return a.withFleet(cmd.Context(), herd.Options{}, func(f *herd.Fleet) error {
				report, err := f.ImportTenants(cmd.Context(), args[0], opts)
				if err != nil {
					return err
				}
				if asJSON {
					report.Tenants = nonNil(report.Tenants)
					return writeJSON(a.out, report)
				}
				renderImport(a.out, report)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&opts.Create, "create", false, "create a new tenant's database when it does not exist")
	cmd.Flags().BoolVar(&opts.Update, "update", false, "change registered tenants whose rows differ (name, tier, tags, features)")
	cmd.Flags().IntVar(&opts.Batch, "batch", herd.DefaultImportBatch, "tenants registered between two progress lines")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// renderImport lists the rows that changed or differ, then the counts.
func renderImport(w io.Writer, r herd.ImportReport) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, t := range r.Tenants {
		switch t.Action {
		case herd.ImportUnchanged:
			continue
		case herd.ImportAdded:
			how := "existing database"
			if t.Created {
				how = "created database"
			}
			fmt.Fprintf(tw, "%s:%d\t%s\t%s\t%s %s on %s\n", r.File, t.Line, t.Code, t.Action, how, t.Database, t.Server)
		default:
			fmt.Fprintf(tw, "%s:%d\t%s\t%s\t%s\n", r.File, t.Line, t.Code, t.Action, strings.Join(t.Differences, "; "))
		}
	}
	tw.Flush()
	fmt.Fprintf(w, "%d added, %d updated, %d unchanged, %d differ", r.Count(herd.ImportAdded), r.Count(herd.ImportUpdated),
		r.Count(herd.ImportUnchanged), r.Count(herd.ImportDiffers))
	if r.Count(herd.ImportDiffers) > 0 {
		fmt.Fprint(w, " (left as registered; --update changes them)")
	}
	fmt.Fprintln(w)
}

func (a *app) tenantDiscoverCmd() *cobra.Command {
	var (
		req    herd.DiscoverRequest
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "discover [--server NAME] [--pattern 'school_erp_trust_{code}'] [--register] [--json]",
		Short: "List (and register) a server's tenant databases that no tenant is registered on",
		Long: `discover lists the databases of a server (its schemas, with a schema per
tenant) whose names match --pattern and that no tenant is registered on, with
the code each would get: the part of the name in place of {code}. herd's own
databases (snapshots, shadows, scratch databases) are left out. A name whose
code herd does not accept, or whose code another tenant has, is listed with
the problem. --register registers the others as they are (never creating a
database); herd baseline then records what they have applied.

` + exitCodes,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withFleet(cmd.Context(), herd.Options{}, func(f *herd.Fleet) error {
				found, err := f.DiscoverTenants(cmd.Context(), req)
				if asJSON {
					if werr := writeJSON(a.out, nonNil(found)); werr != nil {
						return werr
					}
				} else {
					renderDiscovered(a.out, found)
				}
				return err
			})
		},
	}
	cmd.Flags().StringVar(&req.Server, "server", "", "server to list (default: the default server)")
	cmd.Flags().StringVar(&req.Pattern, "pattern", "", "database name with {code} in it (default: herd.yaml's tenant_database)")
	cmd.Flags().BoolVar(&req.Register, "register", false, "register each database found whose code is valid and free")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func renderDiscovered(w io.Writer, found []herd.DiscoveredTenant) {
	if len(found) == 0 {
		fmt.Fprintln(w, "no unregistered database matches")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tDATABASE\tSERVER\tSTATE")
	for _, d := range found {
		state := "not registered"
		switch {
		case d.Registered:
			state = "registered"
		case d.Problem != "":
			state = d.Problem
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.Code, d.Database, d.Server, state)
	}
	tw.Flush()
}
