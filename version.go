package herd

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/herdhq/herd/control"
)

// BuildInfo describes a build of herd: what `herd version` prints.
type BuildInfo struct {
	// Version is herd's version: the one stamped at build time, else the
	// module's version from the build info ("(devel)" for a build from a
	// checkout).
	Version string `json:"version"`
	// GoVersion is the Go toolchain the binary was built with.
	GoVersion string `json:"go_version"`
	// Commit is the VCS revision the binary was built from, when the
	// build recorded one, with CommitTime its time and Modified whether
	// the work tree had uncommitted changes.
	Commit     string `json:"commit,omitempty"`
	CommitTime string `json:"commit_time,omitempty"`
	Modified   bool   `json:"modified,omitempty"`
	// ControlSchema is the control schema version this build migrates a
	// control database to (herd migrate --system), the same on every
	// engine.
	ControlSchema string `json:"control_schema"`
}

// Build describes this build of herd. stamped is the version set at build
// time (go build -ldflags "-X main.version=v1.2.3"); when it is empty the
// module's version from the binary's build info is used. dialects are the
// engines wired in, whose control schemas must agree on their newest
// version.
func Build(stamped string, dialects []Dialect) (BuildInfo, error) {
	info := BuildInfo{Version: stamped, GoVersion: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if info.Version == "" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Commit = s.Value
			case "vcs.time":
				info.CommitTime = s.Value
			case "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
	}
	if info.Version == "" {
		info.Version = "(devel)"
	}
	for _, d := range dialects {
		v, err := control.SchemaVersion(d)
		if err != nil {
			return BuildInfo{}, fmt.Errorf("%s: %w", d.Name(), err)
		}
		if info.ControlSchema != "" && v != info.ControlSchema {
			return BuildInfo{}, fmt.Errorf("control schema versions disagree: %s has %s, another engine %s", d.Name(), v, info.ControlSchema)
		}
		info.ControlSchema = v
	}
	return info, nil
}
