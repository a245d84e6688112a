package cli

import (
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/herdhq/herd"
)

func (a *app) baselineCmd() *cobra.Command {
	var (
		which  tenantsFlags
		req    herd.BaselineRequest
		from   string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "baseline (--tenant CODE | --all | --tenants SELECTOR) --from goose|golang-migrate|flyway|none [--to VERSION] [--mapping FILE] [--ignore-checksums] [--json]",
		Short: "Take tenants over from another migration tool, recording what they have applied without running it",
		Long: `baseline reads another tool's ledger in each tenant's database and records
the migrations it applied in herd's ledger and the control database, as if
herd had applied them; nothing runs, and the tool's table is left in place.

  goose           goose_db_version: each version whose newest row is applied
  golang-migrate  schema_migrations: every migration up to its version;
                  a dirty version is refused
  flyway          flyway_schema_history: each successful versioned script,
                  everything up to a baseline row; a failed row is refused,
                  and so is a script whose checksum there is not that of
                  herd's file (see --ignore-checksums)
  none            no ledger: --to VERSION declares the tenants at VERSION,
                  after their schema is compared with VERSION's reference
                  (a tenant that drifted from it is refused)

A tool's version maps onto herd's tenant migration with that sequence number
(20 is the one numbered 020), a Flyway script onto the migration of the same
name (V3__create_teachers.sql is *_create_teachers); --mapping FILE maps the
rest: YAML (version: v1.0.0/001_create_students) or CSV with the header
"version,migration", where a migration of "-" passes a tool migration over.

A tenant whose tool ledger is dirty or failed, that records a migration herd
does not have, or that skipped one, is refused and named; the others are
recorded. A tenant that herd's ledger already records is left unchanged, so
running baseline again changes nothing. With a tool, --to refuses a tenant
the tool's ledger does not bring to exactly that version.

Flyway records a checksum of each versioned SQL script it ran (a CRC-32 of
its lines). herd computes the same over the up file each script maps onto
and refuses a tenant where they differ, as flyway validate would: the file
changed after Flyway ran it. --ignore-checksums takes such tenants over
anyway. Baseline rows, Java and repeatable migrations carry no checksum
herd compares; goose and golang-migrate keep none.

` + exitCodes,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := which.check(); err != nil {
				return err
			}
			req.From, req.Selection, req.Concurrency = herd.Tool(from), which.selection(), which.concurrency
			if which.tenant != "" {
				req.Selection = herd.Selection{Tenants: which.tenant}
			}
			ctx, _ := which.many(cmd.Context(), a)
			return a.withFleet(ctx, herd.Options{}, func(f *herd.Fleet) error {
				out, err := f.Baseline(ctx, req)
				switch {
				case asJSON && out != nil:
					if werr := writeJSON(a.out, out); werr != nil {
						return werr
					}
				case out != nil:
					renderBaseline(a.out, out)
				}
				if errors.Is(err, herd.ErrStopped) {
					return &waitingError{err.Error()}
				}
				return err
			})
		},
	}
	which.register(cmd, "baselined")
	cmd.Flags().StringVar(&from, "from", "", "the tool whose ledger to read: goose, golang-migrate, flyway or none (required)")
	cmd.Flags().StringVar(&req.To, "to", "", "the version the tenants are at (required with --from none)")
	cmd.Flags().StringVar(&req.Mapping, "mapping", "", "YAML or CSV file mapping tool versions to herd migrations")
	cmd.Flags().BoolVar(&req.IgnoreChecksums, "ignore-checksums", false, "take a Flyway tenant over even when Flyway's checksum of a script is not that of herd's file")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

func renderBaseline(w io.Writer, out []herd.BaselineOutcome) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tSTATUS\tVERSION\tDETAIL")
	counts := map[herd.BaselineStatus]int{}
	for _, o := range out {
		counts[o.Status]++
		detail := o.Reason
		if o.Status == herd.BaselineRecorded {
			detail = fmt.Sprintf("%d migrations recorded, none run", len(o.Migrations))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.Tenant, o.Status, versionOrNone(o.Version), detail)
	}
	tw.Flush()
	fmt.Fprintf(w, "%d recorded, %d unchanged, %d refused\n", counts[herd.BaselineRecorded], counts[herd.BaselineUnchanged], counts[herd.BaselineRefused])
}
