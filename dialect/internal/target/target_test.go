package target

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const sentinel = "s3cr3t-sentinel"

func TestParseURLRedacts(t *testing.T) {
	t.Parallel()
	d, err := ParseURL("postgres://herd:"+sentinel+"@127.0.0.1:5432/app?sslmode=disable&sslpassword=other-secret", "postgres", "postgresql")
	require.NoError(t, err)
	require.Equal(t, "app", d.Database())
	require.Equal(t, sentinel, d.Password())
	red := d.Redacted()
	require.NotContains(t, red, sentinel)
	require.NotContains(t, red, "other-secret")
	require.Contains(t, red, "herd:xxxxx@127.0.0.1:5432/app")
	require.Contains(t, red, "sslmode=disable")
	require.Equal(t, red, fmt.Sprint(d))

	scrubbed := d.Scrub(fmt.Errorf("dial postgres://herd:%s@x: %w", sentinel, context.Canceled))
	require.NotContains(t, scrubbed.Error(), sentinel)
	require.ErrorIs(t, scrubbed, context.Canceled)
	require.Nil(t, errors.Unwrap(scrubbed))

	plain := errors.New("nothing secret")
	require.Same(t, plain, d.Scrub(plain))
}

func TestParseURLRefuses(t *testing.T) {
	t.Parallel()
	for name, raw := range map[string]string{
		"empty":           "",
		"wrong scheme":    "mysql://u:" + sentinel + "@127.0.0.1:3306/db",
		"bad port":        "postgres://u:" + sentinel + "@127.0.0.1:notaport/db",
		"slash in secret": "postgres://u:" + sentinel + "/x@127.0.0.1:5432/db",
		"bad escape":      "postgres://u:" + sentinel + "%zz@127.0.0.1/db",
		"no host":         "postgres:///db?password=" + sentinel,
		"opaque":          "postgres:u:" + sentinel + "@host/db",
		"no scheme":       "u:" + sentinel + "@127.0.0.1:5432/db",
		"control char":    "postgres://u:" + sentinel + "@127.0.0.1/db\x7f\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseURL(raw, "postgres", "postgresql")
			require.Error(t, err)
			require.NotContains(t, err.Error(), sentinel)
			require.NotContains(t, err.Error(), "s3cr3t")
			require.True(t, strings.HasPrefix(err.Error(), "malformed dsn") || strings.HasPrefix(err.Error(), "empty dsn"), err.Error())
		})
	}
}

func TestCheckName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"trust_ab_1", true},
		{"a", true},
		{strings.Repeat("a", 10), true},
		{strings.Repeat("a", 11), false},
		{"", false},
		{"Upper", false},
		{"with-dash", false},
		{"semi;colon", false},
		{"é", false},
	} {
		err := CheckName(tc.name, 10)
		if tc.ok {
			require.NoError(t, err, tc.name)
		} else {
			require.Error(t, err, tc.name)
		}
	}
}
