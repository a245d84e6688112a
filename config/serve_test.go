package config_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/config"
)

// serve.public_url: the address calendar links are built on, checked so
// that a link works and carries no credentials.
func TestServePublicURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, line string
		want       string // the public URL read
		err        string // the whole error
	}{
		{name: "absent", line: ""},
		{name: "host", line: "serve: {public_url: https://herd.example.com}", want: "https://herd.example.com"},
		{name: "trailing slash and path", line: "serve: {public_url: 'https://ops.example.com/herd/'}", want: "https://ops.example.com/herd"},
		{name: "not http", line: "serve: {public_url: 'ftp://herd.example.com'}",
			err: `herd.yaml:9: serve.public_url "ftp://herd.example.com": want an absolute http:// or https:// URL`},
		{name: "relative", line: "serve: {public_url: /herd}", err: `herd.yaml:9: serve.public_url "/herd": want an absolute http:// or https:// URL`},
		{name: "credentials", line: "serve: {public_url: 'https://u:p@herd.example.com'}",
			err: `herd.yaml:9: serve.public_url "https://u:xxxxx@herd.example.com": must not hold a user or password: it is sent to webhook receivers and tenants`},
		{name: "query", line: "serve: {public_url: 'https://herd.example.com/?a=1'}",
			err: `herd.yaml:9: serve.public_url "https://herd.example.com/?a=1": must not have a query or fragment: herd appends paths to it`},
		{name: "unknown key", line: "serve: {public: x}", err: `herd.yaml:9: serve: unknown key "public" (known: public_url)`},
		{name: "not a mapping", line: "serve: https://herd.example.com", err: "herd.yaml:9: serve: want a mapping with public_url, got a string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.ParseEnv(yml(append(append([]string{}, valid...), tc.line)...), "herd.yaml", nil)
			if tc.err != "" {
				require.EqualError(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, cfg.Serve.PublicURL)
			if tc.want != "" {
				require.Equal(t, tc.want+"/calendar/gold_07.ics", cfg.Serve.CalendarURL("gold_07"))
			} else {
				require.Empty(t, cfg.Serve.CalendarURL("gold_07"), "no public URL, no link")
			}
		})
	}
}
