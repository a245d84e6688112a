package herdtest

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"strings"
	"testing"
)

// The environment variables that point tests at real servers.
const (
	PostgresEnv = "HERD_TEST_POSTGRES" // e.g. postgres://postgres@127.0.0.1:5432/postgres
	MySQLEnv    = "HERD_TEST_MYSQL"    // e.g. mysql://root@127.0.0.1:3306/test
)

// PostgresDSN returns the PostgreSQL DSN tests use. When it is not set the
// test is skipped, except under CI=true, where it fails.
func PostgresDSN(t testing.TB) string { return dsn(t, PostgresEnv) }

// MySQLDSN returns the MySQL/MariaDB DSN tests use. When it is not set the
// test is skipped, except under CI=true, where it fails.
func MySQLDSN(t testing.TB) string { return dsn(t, MySQLEnv) }

func dsn(t testing.TB, env string) string {
	t.Helper()
	v := os.Getenv(env)
	if v != "" {
		return v
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not set: under CI=true the real-server tests must run", env)
	}
	t.Skipf("%s is not set; skipping the real-server test", env)
	return ""
}

// Name returns a short, unique, lower-case name starting with prefix, for a
// scratch database, schema or tenant code.
func Name(t testing.TB, prefix string) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random name: %v", err)
	}
	return strings.ToLower(prefix) + hex.EncodeToString(b)
}

// Logger returns a slog.Logger that writes to t.Log.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
