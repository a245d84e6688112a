package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/herdhq/herd"
)

func (a *app) calendarCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "calendar", Short: "Hand out the signed addresses of the upgrade calendars herd serve answers", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return usagef("calendar needs a subcommand: url or rotate-key")
		}}
	cmd.AddCommand(a.calendarURLCmd(), a.calendarRotateKeyCmd())
	return cmd
}

func (a *app) calendarURLCmd() *cobra.Command {
	var tenant, tier string
	cmd := &cobra.Command{
		Use:   "url (--tenant CODE | --tier T)",
		Short: "Print the signed address of a tenant's or a tier's upgrade calendar",
		Long: `Print the address at which a calendar application subscribes to a tenant's
(--tenant) or a tier's (--tier) upcoming upgrades and maintenance windows:
herd serve's /calendar/{tenant}.ics or /calendar.ics?tier=T at herd.yaml's
serve.public_url, with key=HEX, the feed signed with the fleet's calendar key
(HMAC-SHA256), which opens that feed, and nothing else, on a server with
viewer or operator tokens. The key is made in the control database on first
use; herd calendar rotate-key replaces it. Needs serve.public_url.
See docs/reports.md.

` + exitCodes,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (tenant == "") == (tier == "") {
				return usagef("calendar url: give --tenant CODE or --tier T (one of them)")
			}
			return a.withFleet(cmd.Context(), herd.Options{}, func(f *herd.Fleet) error {
				u, err := f.CalendarURL(cmd.Context(), herd.CalendarRequest{Tenant: tenant, Tier: tier})
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(a.out, u)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "the tenant whose calendar")
	cmd.Flags().StringVar(&tier, "tier", "", "the tier whose calendar")
	return cmd
}

func (a *app) calendarRotateKeyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "rotate-key",
		Short: "Replace the calendar key: every calendar address handed out before stops working",
		Long: `Replace the fleet's calendar key, kept in the control database, with a new
random one, and record it in the audit log (action calendar.rotate-key). Every
signed calendar address handed out before is refused (403) from then on; hand
out new ones with herd calendar url. Calendar reads with a viewer token are
not affected. See docs/reports.md.

` + exitCodes,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withFleet(cmd.Context(), herd.Options{}, func(f *herd.Fleet) error {
				if err := f.RotateCalendarKey(cmd.Context()); err != nil {
					return err
				}
				_, err := fmt.Fprintln(a.out, "calendar key replaced: the calendar addresses handed out before no longer open their calendars")
				return err
			})
		},
	}
}
