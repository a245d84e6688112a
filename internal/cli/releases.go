package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/Masterminds/semver/v3"
	"github.com/spf13/cobra"

	"github.com/herdhq/herd"
)

func (a *app) releasesCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "releases [--json]",
		Short: "Show the compatibility matrix and how many tenants are on each release",
		Long: `Show the compatibility matrix: every release declared in herd.yaml and every
schema version folder it does not name, in semver order, with the system and
tenant schema versions, the release's features (its own plus earlier
releases', minus removes), whether it is breaking, its rollback point and
whether it is experimental, and how many registered tenants are on it by
their current schema version.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return show(a, cmd, asJSON, view[herd.ReleaseCounts]{
				read:   (*herd.Fleet).Releases,
				json:   func(c herd.ReleaseCounts) any { return c.Rows() },
				render: renderReleases,
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON: an array of releases")
	return cmd
}

// schemaVersion is v without the v, or "" for none.
func schemaVersion(v *semver.Version) string {
	if v == nil {
		return ""
	}
	return v.String()
}

func renderReleases(w io.Writer, counts herd.ReleaseCounts) {
	if len(counts.Releases) == 0 {
		fmt.Fprintln(w, "no releases: herd.yaml declares none and there are no migrations")
	} else {
		orDash := func(s string) string {
			if s == "" {
				return "-"
			}
			return s
		}
		yesNo := map[bool]string{true: "yes", false: "no"}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "RELEASE\tSYSTEM\tTENANT\tFEATURES\tBREAKING\tROLLBACK POINT\tEXPERIMENTAL\tTENANTS")
		for _, r := range counts.Releases {
			name := r.Name
			if !r.Declared {
				name += " (undeclared)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", name, versionLabel(schemaVersion(r.System)), versionLabel(r.Tenant.String()),
				orDash(strings.Join(r.Features, ", ")), yesNo[r.Breaking], orDash(r.RollbackPoint), yesNo[r.Experimental], r.Tenants)
		}
		tw.Flush()
	}
	below := "on no release (never migrated)"
	if len(counts.Releases) > 0 {
		below = fmt.Sprintf("on no release (never migrated, or below %s)", counts.Releases[0].Name)
	}
	fmt.Fprintf(w, "tenants %s: %d\n", below, counts.Unreleased)
}
