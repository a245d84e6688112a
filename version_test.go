package herd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/internal/cli"
	"github.com/herdhq/herd/internal/herdtest"
)

// TestVersion checks that herd version and herd --version print the
// version stamped at build time, or the build info's without one, and the
// control schema version every engine migrates to.
func TestVersion(t *testing.T) {
	newest, err := control.SchemaVersion(herdtest.Dialects()[0])
	require.NoError(t, err)
	for _, d := range herdtest.Dialects() {
		v, err := control.SchemaVersion(d)
		require.NoError(t, err)
		require.Equal(t, newest, v, "%s's control schema", d.Name())
	}

	run := func(stamped string, args ...string) string {
		t.Helper()
		var out bytes.Buffer
		code := cli.Run(context.Background(), cli.Env{Args: args, Stdout: &out, Stderr: &out,
			Dialects: herdtest.Dialects(), Version: stamped, Getenv: func(string) string { return "" }})
		require.Equal(t, cli.ExitOK, code, "%v: %s", args, out.String())
		return out.String()
	}
	tests := []struct {
		name, stamped, want string
	}{
		{"stamped", "v1.4.2", "v1.4.2"},
		{"from the build info", "", "(devel)"}, // a test binary's main module is not versioned
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var info herd.BuildInfo
			require.NoError(t, json.Unmarshal([]byte(run(tt.stamped, "version", "--json")), &info))
			require.Equal(t, tt.want, info.Version)
			require.Equal(t, newest, info.ControlSchema)
			require.NotEmpty(t, info.GoVersion)

			text := run(tt.stamped, "version")
			require.Contains(t, text, "herd "+tt.want+"\n")
			require.Contains(t, text, "control schema: v"+newest+"\n")
			require.Equal(t, text, run(tt.stamped, "--version"), "--version prints what herd version prints")
		})
	}
}
