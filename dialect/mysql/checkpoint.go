package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// checkpointPoll is how often Checkpoint reads InnoDB's checkpoint, and
// checkpointTimeout how long it waits for it at most.
const (
	checkpointPoll    = 50 * time.Millisecond
	checkpointTimeout = 2 * time.Minute
)

// checkpointLock is the user lock that keeps Checkpoint calls one at a
// time across processes, so that none reads the 0 another one set as the
// setting to put back. No lockName is spelled so (they are hex).
const checkpointLock = "herd:checkpoint"

// Checkpoint has InnoDB write out the pages that the work before the call
// left dirty, so that a measurement that follows does not pay for those
// writes (MySQL has no CHECKPOINT statement). It sets
// innodb_max_dirty_pages_pct to 0, which has the page cleaner flush the
// buffer pool, waits until InnoDB's checkpoint passes the log position at
// the call, and puts the setting back; a process killed meanwhile leaves
// it at 0, which costs only extra page writes. It needs the privilege to
// set global variables, and a server that reports Innodb_lsn_current and
// Innodb_lsn_last_checkpoint among its status variables (MariaDB does).
func (s *Server) Checkpoint(ctx context.Context) (err error) {
	ctx, cancel := context.WithTimeout(ctx, checkpointTimeout)
	defer cancel()
	conn, err := s.admin.Conn(ctx)
	if err != nil {
		return s.checkpointFailed("connect", err)
	}
	defer conn.Close()
	for got := false; !got; {
		if got, err = getLock(ctx, conn, checkpointLock); err != nil {
			return s.checkpointFailed("wait for another checkpoint", err)
		}
		if !got && ctx.Err() != nil {
			return s.checkpointFailed("wait for another checkpoint", ctx.Err())
		}
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "DO RELEASE_LOCK(?)", checkpointLock) //nolint:errcheck // closing conn releases it too

	target, err := s.innodbStatus(ctx, conn, "Innodb_lsn_current")
	if err != nil {
		return err
	}
	var pct float64
	if err := conn.QueryRowContext(ctx, "SELECT @@GLOBAL.innodb_max_dirty_pages_pct").Scan(&pct); err != nil {
		return s.checkpointFailed("read innodb_max_dirty_pages_pct", err)
	}
	if _, err := conn.ExecContext(ctx, "SET GLOBAL innodb_max_dirty_pages_pct = 0"); err != nil {
		return s.checkpointFailed("set innodb_max_dirty_pages_pct", err)
	}
	defer func() {
		restore := fmt.Sprintf("SET GLOBAL innodb_max_dirty_pages_pct = %g", pct)
		if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), restore); rerr != nil {
			err = errors.Join(err, s.checkpointFailed(fmt.Sprintf("put innodb_max_dirty_pages_pct back to %g", pct), rerr))
		}
	}()
	tick := time.NewTicker(checkpointPoll)
	defer tick.Stop()
	for {
		done, err := s.innodbStatus(ctx, conn, "Innodb_lsn_last_checkpoint")
		if err != nil {
			return err
		}
		if done >= target {
			return nil
		}
		select {
		case <-ctx.Done():
			return s.checkpointFailed(fmt.Sprintf("still at log position %d, short of %d", done, target), ctx.Err())
		case <-tick.C:
		}
	}
}

// innodbStatus reads the global status variable name, a number, on conn.
func (s *Server) innodbStatus(ctx context.Context, conn *sql.Conn, name string) (uint64, error) {
	var (
		got   string
		value uint64
	)
	err := conn.QueryRowContext(ctx, "SHOW GLOBAL STATUS LIKE '"+name+"'").Scan(&got, &value)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, s.checkpointFailed("read "+name, errors.New("the server does not report it"))
	}
	if err != nil {
		return 0, s.checkpointFailed("read "+name, err)
	}
	return value, nil
}

func (s *Server) checkpointFailed(op string, err error) error {
	return fmt.Errorf("mysql: checkpoint on server %q: %s: %w", s.name, op, s.dsn.Scrub(err))
}
