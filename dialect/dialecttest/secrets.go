package dialecttest

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// requireNoSecret fails when err is nil or shows the sentinel password.
func requireNoSecret(t *testing.T, err error, what string) {
	t.Helper()
	require.Error(t, err, what)
	require.NotContains(t, err.Error(), sentinel, what)
	require.NotContains(t, err.Error(), "s3cr3t", what)
}

func (s *suite) testUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), patience)
	defer cancel()
	u, ok := urlDSN(s.cfg.DSN)
	if !ok {
		// scheme:PATH: a control file below a regular file cannot be made.
		file := filepath.Join(t.TempDir(), "file")
		require.NoError(t, os.WriteFile(file, nil, 0o644))
		scheme, _, _ := strings.Cut(s.cfg.DSN, ":")
		cfg := s.withDSN("unreachable", scheme+":"+filepath.Join(file, "control.db"))
		srv, err := s.d.OpenServer(ctx, cfg)
		require.NoError(t, err, "OpenServer does not touch the file system")
		defer srv.Close()
		require.Equal(t, cfg.DSN, srv.Redacted())
		_, err = srv.Control(ctx)
		require.Error(t, err)
		require.Contains(t, err.Error(), `"unreachable"`, "the error names the server")
		return
	}

	u.Host = "127.0.0.1:1"
	u.User = url.UserPassword("herd", sentinel)
	srv, err := s.d.OpenServer(ctx, s.withDSN("unreachable", u.String()))
	require.NoError(t, err, "OpenServer must not connect")
	defer srv.Close()
	red := srv.Redacted()
	require.NotContains(t, red, sentinel)
	require.Contains(t, red, "herd:xxxxx@127.0.0.1:1")

	_, err = srv.Control(ctx)
	requireNoSecret(t, err, "control")
	require.Contains(t, err.Error(), `"unreachable"`, "the error names the server")
	require.True(t, strings.HasPrefix(err.Error(), s.d.Name()+": "), err.Error())

	name := "herd_t_unreachable"
	requireNoSecret(t, srv.Create(ctx, name), "create")
	_, err = srv.Exists(ctx, name)
	requireNoSecret(t, err, "exists")
	_, err = srv.Open(ctx, name)
	requireNoSecret(t, err, "open")
	requireNoSecret(t, srv.Drop(ctx, name), "drop")
}

// testBadCredentials connects to the real server as a user that does not
// exist, with the sentinel password. Whether the server refuses depends
// on its authentication rules; if it does, the error must not show the
// password.
func (s *suite) testBadCredentials(t *testing.T) {
	u, ok := urlDSN(s.cfg.DSN)
	if !ok {
		t.Skip("the DSN holds no credentials")
	}
	u.User = url.UserPassword("herd_no_such_user", sentinel)
	srv, err := s.d.OpenServer(t.Context(), s.withDSN("badcreds", u.String()))
	require.NoError(t, err)
	defer srv.Close()
	require.NotContains(t, srv.Redacted(), sentinel)
	ctx, cancel := context.WithTimeout(t.Context(), patience)
	defer cancel()
	db, err := srv.Control(ctx)
	if err == nil {
		_ = db.Close()
		t.Skip("the server let an unknown user in")
	}
	requireNoSecret(t, err, "control with bad credentials")
}

func (s *suite) testMalformedDSN(t *testing.T) {
	scheme, _, _ := strings.Cut(s.cfg.DSN, ":")
	dsns := []string{
		"",
		"bogus://herd:" + sentinel + "@127.0.0.1:1/x",
		"herd:" + sentinel + "@127.0.0.1:1/x",
	}
	if _, ok := urlDSN(s.cfg.DSN); ok {
		dsns = append(dsns,
			scheme+"://herd:"+sentinel+"@127.0.0.1:notaport/x",
			scheme+"://herd:"+sentinel+"/x@127.0.0.1:1/x",
			scheme+"://herd:"+sentinel+"@[::1/x",
			scheme+"://herd:"+sentinel+"%zz@127.0.0.1:1/x",
			scheme+":herd:"+sentinel+"@127.0.0.1:1/x",
		)
	} else {
		dsns = append(dsns, scheme+":", scheme+"://"+sentinel)
	}
	for _, dsn := range dsns {
		_, err := s.d.OpenServer(t.Context(), s.withDSN("malformed", dsn))
		requireNoSecret(t, err, "OpenServer of a malformed DSN")
		require.True(t, strings.HasPrefix(err.Error(), s.d.Name()+`: open server "malformed": `), err.Error())
	}
}
