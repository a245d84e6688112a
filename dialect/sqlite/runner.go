package sqlite

import (
	"fmt"
	"os"

	"github.com/herdhq/herd/dialect"
)

var _ dialect.RunnerGuard = (*Dialect)(nil)

// GuardRunner takes an exclusive flock on db.Name+".runner.lock" without
// waiting: a SQLite control database serves one rollout runner process at
// a time. It fails with dialect.ErrRunnerBusy, naming the lock file, when
// another process holds it.
func (d *Dialect) GuardRunner(db *dialect.Database) (func() error, error) {
	path := db.Name + ".runner.lock"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("sqlite: runner lock %q: %w", path, err)
	}
	ok, err := tryLock(f)
	if err != nil || !ok {
		f.Close()
		if err == nil {
			err = fmt.Errorf("%w (%s is held; a SQLite control database serves one runner process; use PostgreSQL or MySQL for several)",
				dialect.ErrRunnerBusy, path)
		}
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return func() error {
		err := unlockFile(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}, nil
}

var _ dialect.SingleWriter = (*Dialect)(nil)

// SingleWriter marks SQLite as taking one writer at a time.
func (d *Dialect) SingleWriter() {}

var _ dialect.InProcess = (*Dialect)(nil)

// InProcess marks SQLite as running in herd's process.
func (d *Dialect) InProcess() {}
