package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/internal/snapcopy"
)

var _ dialect.Snapshotter = (*Server)(nil)

// Snapshot copies PATH/src.db into the new file PATH/dst.db with VACUUM
// INTO, which reads src in one transaction (so the copy is consistent while
// other connections write) and copies everything in it: tables, indexes,
// views, triggers and the AUTOINCREMENT positions in sqlite_sequence. It
// fails if PATH/dst.db exists, and removes what it made when it fails.
func (s *Server) Snapshot(ctx context.Context, src, dst string) error {
	fail := func(err error) error {
		return fmt.Errorf("sqlite: snapshot database %q to %q on server %q: %w", src, dst, s.name, err)
	}
	if err := snapcopy.Names(src, dst, MaxNameLength); err != nil {
		return fail(err)
	}
	if err := s.mustExist(src); err != nil {
		return fail(err)
	}
	out := s.file(dst)
	if err := claim(out); err != nil {
		return fail(err)
	}
	if err := s.vacuumInto(ctx, s.file(src), out); err != nil {
		_ = os.Remove(out)
		return fail(err)
	}
	return nil
}

// Restore replaces PATH/target.db by a copy of PATH/snapshot.db: it copies
// the snapshot with VACUUM INTO to a temporary file beside the target, then
// removes the target's -wal, -shm and -journal files and renames the copy
// over it, so the target is at every moment either the old file or the
// whole copy. target need not exist.
//
// Restore requires that no connection is open on the target, in this
// process or another: a pool opened before keeps reading the replaced file
// (and its WAL index), and a write through it is lost or, worse, applied to
// a file that no longer has its WAL. Close the tenant's pools first; the
// caller holds the tenant's migration lock (its .lock file, which Restore
// leaves alone) so that no migration opens it meanwhile. Before replacing
// the target, Restore checkpoints its WAL and fails if a reader prevents
// that.
func (s *Server) Restore(ctx context.Context, snapshot, target string) error {
	fail := func(err error) error {
		return fmt.Errorf("sqlite: restore database %q from snapshot %q on server %q: %w", target, snapshot, s.name, err)
	}
	if err := snapcopy.Names(snapshot, target, MaxNameLength); err != nil {
		return fail(err)
	}
	if err := s.mustExist(snapshot); err != nil {
		return fail(fmt.Errorf("snapshot: %w", err))
	}
	file := s.file(target)
	tmp, err := tempName(file + ".restore-")
	if err != nil {
		return fail(err)
	}
	if err := claim(tmp); err != nil {
		return fail(err)
	}
	done := false
	defer func() {
		if !done {
			_ = os.Remove(tmp)
		}
	}()
	if err := s.vacuumInto(ctx, s.file(snapshot), tmp); err != nil {
		return fail(err)
	}
	switch ok, err := s.exists(target); {
	case err != nil:
		return fail(err)
	case ok:
		if err := s.checkpoint(ctx, file); err != nil {
			return fail(err)
		}
	}
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		if err := os.Remove(file + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fail(err)
		}
	}
	if err := os.Rename(tmp, file); err != nil {
		return fail(err)
	}
	done = true
	if err := syncDir(s.path); err != nil {
		return fail(err)
	}
	return nil
}

// mustExist fails unless the database name exists.
func (s *Server) mustExist(name string) error {
	switch ok, err := s.exists(name); {
	case err != nil:
		return err
	case !ok:
		return fmt.Errorf("database %q does not exist", name)
	}
	return nil
}

// claim creates the empty file path, failing if it exists, so that two
// copies cannot race for one name: VACUUM INTO accepts an empty file.
func claim(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists", filepath.Base(path))
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// vacuumInto copies the database file from into the empty file to, outside
// any transaction, and syncs it to disk.
func (s *Server) vacuumInto(ctx context.Context, from, to string) error {
	db, err := s.openFile(ctx, from)
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, "VACUUM INTO ?", to)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("vacuum into %s: %w", filepath.Base(to), err)
	}
	return syncFile(to)
}

// checkpoint moves the whole WAL of file into it and truncates the WAL, so
// that the file alone holds every committed write. It fails when a reader
// keeps the checkpoint from completing.
func (s *Server) checkpoint(ctx context.Context, file string) error {
	db, err := s.openFile(ctx, file)
	if err != nil {
		return err
	}
	defer db.Close()
	var busy, log, moved int
	if err := db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &log, &moved); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if busy != 0 {
		return errors.New("checkpoint: the database is in use by another connection")
	}
	return nil
}

// tempName returns prefix followed by 8 random hex digits.
func tempName(prefix string) (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return prefix + hex.EncodeToString(b), nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes a rename in dir durable. Windows cannot sync a folder and
// needs not.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// CopySchema creates the new file PATH/dst.db holding src's schema
// without its rows: src's tables, indexes, views and triggers are created
// again from their definitions in sqlite_schema, in one transaction, tables
// first. It fails if PATH/dst.db exists, and removes it when it fails.
func (s *Server) CopySchema(ctx context.Context, src, dst string) (err error) {
	fail := func(err error) error {
		return fmt.Errorf("sqlite: copy the schema of database %q to %q on server %q: %w", src, dst, s.name, err)
	}
	if err := snapcopy.Names(src, dst, MaxNameLength); err != nil {
		return fail(err)
	}
	from, err := s.Open(ctx, src)
	if err != nil {
		return fail(err)
	}
	defer from.Close()
	var stmts []string
	err = snapcopy.Each(ctx, from.DB, `SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\_%' ESCAPE '\'
ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END, rowid`, nil,
		func(r *sql.Rows) error {
			var stmt string
			if err := r.Scan(&stmt); err != nil {
				return err
			}
			stmts = append(stmts, stmt)
			return nil
		})
	if err != nil {
		return fail(err)
	}
	if err := s.Create(ctx, dst); err != nil {
		return fail(err)
	}
	defer func() {
		if err != nil {
			_ = s.Drop(context.WithoutCancel(ctx), dst)
		}
	}()
	to, err := s.Open(ctx, dst)
	if err != nil {
		return fail(err)
	}
	defer to.Close()
	tx, err := to.DB.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	for _, stmt := range stmts {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fail(fmt.Errorf("%s: %w", stmt, err))
		}
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return nil
}
