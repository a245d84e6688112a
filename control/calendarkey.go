package control

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// CalendarKey reads the key that signs the fleet's calendar feed URLs;
// ok is false while none was made. It is a Store's, not a Reader's: its
// table came with control schema 1.11.0, above AttachVersion.
func (s *Store) CalendarKey(ctx context.Context) (key string, ok bool, err error) {
	err = s.db.DB.QueryRowContext(ctx, s.q.calendarKeyGet).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("control: read the calendar key: %w", err)
	}
	return key, true, nil
}

// EnsureCalendarKey stores fresh as the calendar key unless one is
// stored already, and returns the stored key: concurrent first uses each
// offer their own and all get the one that was stored first.
func (s *Store) EnsureCalendarKey(ctx context.Context, fresh string) (string, error) {
	if _, err := s.exec(ctx, s.q.calendarKeyInsert, fresh, s.now().UTC()); err != nil {
		return "", fmt.Errorf("control: store the calendar key: %w", err)
	}
	key, ok, err := s.CalendarKey(ctx)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", errors.New("control: the calendar key stored is not there")
	}
	return key, nil
}

// ReplaceCalendarKey stores key as the calendar key in place of the one
// before it, and records actor's rotation in the audit log, in one
// transaction.
func (s *Store) ReplaceCalendarKey(ctx context.Context, key, actor string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.execIn(ctx, tx, s.q.calendarKeyReplace, key, s.now().UTC()); err != nil {
			return fmt.Errorf("control: replace the calendar key: %w", err)
		}
		return s.audit(ctx, tx, actor, "calendar.rotate-key", "calendar", "the calendar feed URLs signed before stop working")
	})
}
