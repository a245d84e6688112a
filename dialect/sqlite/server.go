package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/internal/target"
	sqlite "modernc.org/sqlite"
)

// connParams configure every connection herd opens; see the package doc.
const connParams = "_pragma=busy_timeout(10000)" +
	"&_pragma=journal_mode(WAL)" +
	"&_pragma=synchronous(NORMAL)" +
	"&_pragma=foreign_keys(1)" +
	"&_txlock=immediate" +
	"&_time_format=sqlite" +
	"&_timezone=UTC"

// Server is a folder of tenant database files, and (through Control) the
// control file. It holds no open resources and is safe for concurrent use.
type Server struct {
	name   string // in herd.yaml
	dsn    string
	path   string
	params string // extra driver parameters from the DSN
}

var _ dialect.Server = (*Server)(nil)

// parseDSN splits "sqlite:PATH[?params]". Its errors do not quote the DSN.
func parseDSN(dsn string) (path, params string, err error) {
	rest, ok := strings.CutPrefix(dsn, "sqlite:")
	if !ok {
		return "", "", errors.New("malformed dsn: want sqlite:PATH")
	}
	path, params, _ = strings.Cut(rest, "?")
	if path == "" {
		return "", "", errors.New("malformed dsn: no path (want sqlite:PATH)")
	}
	if strings.HasPrefix(path, "//") {
		return "", "", errors.New("malformed dsn: write sqlite:PATH, not sqlite://PATH")
	}
	if _, err := url.ParseQuery(params); err != nil {
		return "", "", errors.New("malformed dsn: parameters after ? do not parse")
	}
	return path, params, nil
}

// MaxNameLength returns 200.
func (s *Server) MaxNameLength() int { return MaxNameLength }

// Redacted returns the DSN: SQLite DSNs hold no password.
func (s *Server) Redacted() string { return s.dsn }

// Close does nothing: the server holds no shared resources.
func (s *Server) Close() error { return nil }

func (s *Server) file(name string) string { return filepath.Join(s.path, name+".db") }

func (s *Server) fail(op, name string, err error) error {
	return fmt.Errorf("sqlite: %s %q on server %q: %w", op, name, s.name, err)
}

// Create creates the empty database file PATH/name.db, and the folder PATH
// when needed. It fails if the file exists.
func (s *Server) Create(ctx context.Context, name string) error {
	if err := target.CheckName(name, MaxNameLength); err != nil {
		return s.fail("create database", name, err)
	}
	if err := os.MkdirAll(s.path, 0o755); err != nil {
		return s.fail("create database", name, err)
	}
	file := s.file(name)
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return s.fail("create database", name, errors.New("already exists"))
	}
	if err != nil {
		return s.fail("create database", name, err)
	}
	if err := f.Close(); err != nil {
		return s.fail("create database", name, err)
	}
	// The migration lock's file too, so that Lock finds it.
	lock, err := os.OpenFile(file+lockSuffix, os.O_RDWR|os.O_CREATE, 0o644)
	if err == nil {
		err = lock.Close()
	}
	if err != nil {
		_ = os.Remove(file)
		return s.fail("create database", name, err)
	}
	// Open it once so that it is a WAL database from the start.
	db, err := s.openFile(ctx, file)
	if err != nil {
		_ = os.Remove(file)
		_ = os.Remove(file + lockSuffix)
		return s.fail("create database", name, err)
	}
	return db.Close()
}

// Exists reports whether PATH/name.db exists.
func (s *Server) Exists(_ context.Context, name string) (bool, error) {
	if err := target.CheckName(name, MaxNameLength); err != nil {
		return false, s.fail("check database", name, err)
	}
	ok, err := s.exists(name)
	if err != nil {
		return false, s.fail("check database", name, err)
	}
	return ok, nil
}

// exists is Exists for a checked name, with its error unwrapped.
func (s *Server) exists(name string) (bool, error) {
	fi, err := os.Stat(s.file(name))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, err
	case !fi.Mode().IsRegular():
		return false, errors.New("is not a regular file")
	}
	return true, nil
}

// Drop removes PATH/name.db and its -wal, -shm, -journal and .lock files.
// It is a no-op when none exists. Connections still open on the file keep
// working on the removed file; close them first.
func (s *Server) Drop(_ context.Context, name string) error {
	if err := target.CheckName(name, MaxNameLength); err != nil {
		return s.fail("drop database", name, err)
	}
	file := s.file(name)
	var errs []error
	for _, suffix := range []string{"", "-wal", "-shm", "-journal", lockSuffix} {
		if err := os.Remove(file + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return s.fail("drop database", name, err)
	}
	return nil
}

// Open opens PATH/name.db, which must exist. Database.Name is the file's
// path and Database.Schema is "".
func (s *Server) Open(ctx context.Context, name string) (*dialect.Database, error) {
	if err := target.CheckName(name, MaxNameLength); err != nil {
		return nil, s.fail("open database", name, err)
	}
	switch ok, err := s.exists(name); {
	case err != nil:
		return nil, s.fail("open database", name, err)
	case !ok:
		return nil, s.fail("open database", name, errors.New("does not exist"))
	}
	file := s.file(name)
	db, err := s.openFile(ctx, file)
	if err != nil {
		return nil, s.fail("open database", name, err)
	}
	return dialect.NewDatabase(db, file, "", db.Close), nil
}

// controlIdleConns is how many connections the control database's pool
// keeps open while idle; a tenant database's pool keeps two.
const controlIdleConns = 8

// Control opens PATH as the control database file, creating it and its
// parent folder when needed. Database.Name is PATH and Database.Schema is
// "".
func (s *Server) Control(ctx context.Context) (*dialect.Database, error) {
	if fi, err := os.Stat(s.path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("sqlite: open control database on server %q: %s is a folder, not a database file", s.name, s.path)
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return nil, fmt.Errorf("sqlite: open control database on server %q: %w", s.name, err)
	}
	db, err := s.openFile(ctx, s.path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open control database on server %q: %w", s.name, err)
	}
	// The control database serves every reader of herd serve at once:
	// keeping more connections idle (with the statements prepared on
	// them) spares a burst of requests the opening and parsing a new
	// connection costs, which made p99s of 100 ms at 200 requests a
	// second (herd bench --api).
	db.SetMaxIdleConns(controlIdleConns)
	return dialect.NewDatabase(db, s.path, "", db.Close), nil
}

// openFile opens a pool on file, without a registered driver name, and
// checks that a connection can be made.
func (s *Server) openFile(ctx context.Context, file string) (*sql.DB, error) {
	dsn := fileURI(file) + "?" + connParams
	if s.params != "" {
		dsn += "&" + s.params
	}
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(c)
	db.SetMaxIdleConns(2)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

// fileURI renders path as an SQLite URI filename, escaping the characters
// that would end or change its path part.
func fileURI(path string) string {
	p := filepath.ToSlash(filepath.Clean(path))
	if filepath.VolumeName(path) != "" {
		p = "/" + p // file:/C:/x
	}
	return "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

// Databases returns the names of the database files in the server's
// directory that start with prefix.
func (s *Server) Databases(_ context.Context, prefix string) ([]string, error) {
	entries, err := os.ReadDir(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, s.fail("list databases", prefix+"*", err)
	}
	var names []string
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".db")
		if ok && e.Type().IsRegular() && strings.HasPrefix(name, prefix) {
			names = append(names, name)
		}
	}
	return names, nil
}
