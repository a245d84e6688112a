package shadow

import (
	"context"
	"fmt"

	"github.com/herdhq/herd/dialect"
)

// Watch installs change capture on database name of srv, on every table
// but herd's own, so that the writes it takes from then on are counted
// (Writes). After a switch, a tenant's new database is watched: what it
// was written since is what switching back to the old one would lose. A
// table without a primary key cannot be watched: Watch then fails with an
// input error naming it, and installs nothing.
func Watch(ctx context.Context, srv dialect.Server, d dialect.Dialect, name string) error {
	ins, okIns := d.(dialect.Inspector)
	capture, okCap := d.(dialect.ChangeCapture)
	if !okIns || !okCap {
		return fmt.Errorf("shadow: engine %q cannot watch a database's writes", d.Name())
	}
	db, err := srv.Open(ctx, name)
	if err != nil {
		return fmt.Errorf("shadow: watch %q: %w", name, err)
	}
	defer db.Close()
	all, err := ins.Tables(ctx, db.DB, db)
	if err != nil {
		return fmt.Errorf("shadow: watch %q: %w", name, err)
	}
	tables, err := capturable(name, all)
	if err != nil {
		return err
	}
	if err := capture.InstallCapture(ctx, db, tables); err != nil {
		return fmt.Errorf("shadow: watch %q: %w", name, err)
	}
	return nil
}

// Writes returns how many row changes database name of srv took since
// Watch; watched is false when it is not watched.
func Writes(ctx context.Context, srv dialect.Server, d dialect.Dialect, name string) (n int, watched bool, err error) {
	db, err := srv.Open(ctx, name)
	if err != nil {
		return 0, false, fmt.Errorf("shadow: writes of %q: %w", name, err)
	}
	defer db.Close()
	if n, watched, err = captured(ctx, d, db); err != nil {
		return 0, false, fmt.Errorf("shadow: writes of %q: %w", name, err)
	}
	return n, watched, nil
}

// captured returns how many changes db's capture table holds; capturing
// is false when it has none.
func captured(ctx context.Context, d dialect.Dialect, db *dialect.Database) (n int, capturing bool, err error) {
	if capturing, err = d.TableExists(ctx, db.DB, db, dialect.CaptureTable); err != nil || !capturing {
		return 0, false, err
	}
	err = db.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+dialect.Qualify(d, db, dialect.CaptureTable)).Scan(&n)
	return n, true, err
}

// Unwatch removes what Watch installed on database name of srv; it is a
// no-op on a database that is not watched.
func Unwatch(ctx context.Context, srv dialect.Server, d dialect.Dialect, name string) error {
	capture, ok := d.(dialect.ChangeCapture)
	if !ok {
		return fmt.Errorf("shadow: engine %q cannot watch a database's writes", d.Name())
	}
	return removeCapture(ctx, srv, capture, name)
}

// Sealed reports whether database name of srv is sealed (Frozen.Seal):
// its capture table has the seal's trigger.
func Sealed(ctx context.Context, srv dialect.Server, d dialect.Dialect, name string) (bool, error) {
	_, sealed, err := captureState(ctx, srv, d, name)
	return sealed, err
}

// captureState reports whether database name of srv captures its
// changes, and whether that capture is sealed.
func captureState(ctx context.Context, srv dialect.Server, d dialect.Dialect, name string) (capturing, sealed bool, err error) {
	db, err := srv.Open(ctx, name)
	if err != nil {
		return false, false, fmt.Errorf("shadow: open %q: %w", name, err)
	}
	defer db.Close()
	if capturing, err = d.TableExists(ctx, db.DB, db, dialect.CaptureTable); err != nil || !capturing {
		return false, false, err
	}
	sealed, err = sealedCapture(ctx, d, db)
	return true, sealed, err
}

// sealedCapture reports whether db, which captures its changes, is
// sealed; an engine that cannot seal has none.
func sealedCapture(ctx context.Context, d dialect.Dialect, db *dialect.Database) (bool, error) {
	sealer, ok := d.(dialect.CaptureSealer)
	if !ok {
		return false, nil
	}
	sealed, err := sealer.Sealed(ctx, db)
	if err != nil {
		return false, fmt.Errorf("shadow: is %q sealed: %w", db.Name, err)
	}
	return sealed, nil
}
