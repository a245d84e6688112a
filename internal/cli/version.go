package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/herdhq/herd"
)

func (a *app) versionCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version [--json]",
		Short: "Print herd's version, Go version, commit and the control schema it expects",
		Long: `version prints herd's version (stamped at build time with
-ldflags "-X main.version=vX.Y.Z", else the module's version from the build
info), the Go version it was built with, the commit it was built from, and
the control schema version it migrates a control database to. herd --version
prints the same.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			info, err := herd.Build(a.env.Version, a.env.Dialects)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(a.out, info)
			}
			renderBuild(a.out, info)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

// renderBuild prints a build's description, one fact per line.
func renderBuild(w io.Writer, info herd.BuildInfo) {
	fmt.Fprintf(w, "herd %s\n", info.Version)
	fmt.Fprintf(w, "go: %s\n", info.GoVersion)
	if info.Commit != "" {
		commit := info.Commit
		if info.Modified {
			commit += " (modified)"
		}
		if info.CommitTime != "" {
			commit += " " + info.CommitTime
		}
		fmt.Fprintf(w, "commit: %s\n", commit)
	}
	fmt.Fprintf(w, "control schema: v%s\n", info.ControlSchema)
}
