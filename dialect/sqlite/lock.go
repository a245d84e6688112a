package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/herdhq/herd/dialect"
)

// lockPoll is how long Lock sleeps between attempts on a held lock.
const lockPoll = 25 * time.Millisecond

// lockSuffix names a database file's migration lock file, beside it. A
// separate file, because closing any descriptor of the database file
// itself would drop the POSIX locks SQLite holds on it in this process.
const lockSuffix = ".lock"

// Lock takes an exclusive flock on db.Name+".lock", trying without blocking
// every 25ms until it succeeds or ctx ends. Server.Create makes the lock
// file with the database, so that Lock only opens it (creating a file
// costs far more than opening one); Lock creates it for a database made
// elsewhere. The lock belongs to the process
// (an open file), not to conn, which Lock does not use; it is exclusive
// between processes and between Lock calls within one process alike. The
// returned function releases it; calling it again returns an error.
func (d *Dialect) Lock(ctx context.Context, _ *sql.Conn, db *dialect.Database) (func(context.Context) error, error) {
	path := db.Name + lockSuffix
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("sqlite: lock %q: %w", db.Name, err)
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		ok, err := tryLock(f)
		if err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("sqlite: lock %q: %w", db.Name, err)
		}
		if ok {
			break
		}
		timer.Reset(lockPoll)
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, fmt.Errorf("sqlite: lock %q: %w", db.Name, ctx.Err())
		case <-timer.C:
		}
	}
	var (
		mu       sync.Mutex
		released bool
	)
	unlock := func(context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		if released {
			return fmt.Errorf("sqlite: unlock %q: %w", db.Name, errors.New("lock not held"))
		}
		released = true
		err := unlockFile(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("sqlite: unlock %q: %w", db.Name, err)
		}
		return nil
	}
	return unlock, nil
}
