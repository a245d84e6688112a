package herd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/plan"
)

// scratchPrefix starts the name of every scratch database herd creates on
// a tenant server to run migrations where no tenant is (herd lint
// --rehearse, reference schemas), so that one a killed herd left behind
// is recognised.
const scratchPrefix = "herd_rehearse_"

// scratchName is a new scratch database's name: scratchPrefix, the time
// it was made (UTC, to the second) and a random part.
func scratchName(now time.Time) (string, error) {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return scratchPrefix + now.UTC().Format("20060102150405") + "_" + hex.EncodeToString(b), nil
}

// onScratch creates a scratch database on srv, applies p to it with the
// executor (which records into the scratch's own ledger), calls then with
// the database when every step applied, and drops it whatever happens.
// It returns how many migrations applied; a migration that fails is an
// *execute.MigrationError.
func onScratch(ctx context.Context, d dialect.Dialect, srv dialect.Server, p *plan.Plan, now time.Time,
	then func(*dialect.Database) error) (applied int, err error) {
	name, err := scratchName(now)
	if err != nil {
		return 0, err
	}
	if err := srv.Create(ctx, name); err != nil {
		return 0, err
	}
	defer srv.Drop(context.WithoutCancel(ctx), name) //nolint:errcheck // best effort; the name says what it was
	db, err := srv.Open(ctx, name)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	s, err := execute.New(d, nil).Lock(ctx, db)
	if err != nil {
		return 0, err
	}
	count := &counter{}
	err = s.Apply(ctx, p, count)
	if cerr := s.Close(context.WithoutCancel(ctx)); err == nil && cerr != nil {
		err = cerr
	}
	if err == nil && then != nil {
		err = then(db)
	}
	return count.applied, err
}

// counter is a Recorder that counts the migrations applied.
type counter struct{ applied int }

func (c *counter) Record(_ context.Context, r execute.Result) error {
	if r.Err == nil {
		c.applied++
	}
	return nil
}
