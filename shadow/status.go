package shadow

import (
	"context"
	"fmt"

	"github.com/herdhq/herd/dialect"
)

// Status is what a shadow migration of a tenant has left on its server,
// as Inspect finds it: for `herd repair` to show a shadow left behind and
// choose between Resume and Remove.
type Status struct {
	// Shadow is the shadow's name (Name).
	Shadow string
	// Capturing reports that the tenant has the capture table (and, as
	// InstallCapture makes them together, its triggers); Changes is how
	// many captured changes it holds.
	Capturing bool
	Changes   int
	// Sealed reports that the tenant's capture holds the seal (see
	// Frozen.Seal): a cut-over sealed it and its switch was not made, so
	// the tenant refuses writes until Remove removes the capture.
	Sealed bool
	// Exists reports that a database (or schema) of the shadow's name
	// exists; Marked that it bears the tenant's mark (MarkerTable), so
	// that it is the tenant's shadow and Remove would drop it; Unfinished
	// that it does not, but the tenant's capture claims it: the copy a
	// herd killed during Prepare was making, which Remove drops too.
	Exists, Marked, Unfinished bool
}

// LeftBehind reports whether anything of a shadow migration is there.
func (s Status) LeftBehind() bool { return s.Capturing || s.Marked }

// Resumable reports whether Resume can go on with it: the capture is
// running and the shadow is marked.
func (s Status) Resumable() bool { return s.Capturing && s.Marked }

// Inspect says what a shadow migration of tenant has left on srv. It
// changes nothing, and fails when the tenant or the shadow cannot be
// read.
func Inspect(ctx context.Context, srv dialect.Server, d dialect.Dialect, tenant string) (Status, error) {
	fail := func(err error) (Status, error) {
		return Status{}, fmt.Errorf("shadow: inspect tenant %q: %w", tenant, err)
	}
	name, err := Name(tenant, srv.MaxNameLength())
	if err != nil {
		return Status{}, err
	}
	st := Status{Shadow: name}
	db, err := srv.Open(ctx, tenant)
	if err != nil {
		return fail(err)
	}
	defer db.Close()
	if st.Changes, st.Capturing, err = captured(ctx, d, db); err != nil {
		return fail(err)
	}
	if st.Capturing {
		if st.Sealed, err = sealedCapture(ctx, d, db); err != nil {
			return fail(err)
		}
	}
	if st.Exists, err = srv.Exists(ctx, name); err != nil || !st.Exists {
		if err != nil {
			return fail(err)
		}
		return st, nil
	}
	claimed := st.Capturing && !st.Sealed // as claims says, read above
	marked, err := func() (bool, error) {
		sdb, err := srv.Open(ctx, name)
		if err != nil {
			return false, err
		}
		defer sdb.Close()
		return markedFor(ctx, d, sdb, tenant)
	}()
	switch {
	case claimed:
		// A copy cut short may not be a database yet: unfinished.
		st.Marked = err == nil && marked
		st.Unfinished = !st.Marked
	case err != nil:
		return fail(err)
	default:
		st.Marked = marked
	}
	return st, nil
}
