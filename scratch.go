package herd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
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

// scratchTime is the layout of the time in a scratch database's name.
const scratchTime = "20060102150405"

// scratchTTL is the age past which a scratch database is taken for one a
// killed run left behind: no rehearsal or reference build lasts that
// long.
const scratchTTL = time.Hour

// scratchName is a new scratch database's name: scratchPrefix, the time
// it was made (UTC, to the second) and a random part.
func scratchName(now time.Time) (string, error) {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return scratchPrefix + now.UTC().Format(scratchTime) + "_" + hex.EncodeToString(b), nil
}

// newScratch returns a new scratch database's name, after dropping the
// scratch databases of srv older than scratchTTL (best effort: what
// cannot be listed or dropped now is tried again next time).
func newScratch(ctx context.Context, srv dialect.Server, now time.Time) (string, error) {
	if lister, ok := srv.(dialect.Lister); ok {
		names, _ := lister.Databases(ctx, scratchPrefix)
		for _, name := range names {
			stamp, _, _ := strings.Cut(strings.TrimPrefix(name, scratchPrefix), "_")
			made, err := time.Parse(scratchTime, stamp)
			if err == nil && now.Sub(made) > scratchTTL {
				_ = srv.Drop(ctx, name)
			}
		}
	}
	return scratchName(now)
}

// onScratch creates a scratch database on srv, applies p to it with the
// executor (which records into the scratch's own ledger), calls then with
// the database when every step applied, and drops it whatever happens.
// It returns how many migrations applied; a migration that fails is an
// *execute.MigrationError.
func onScratch(ctx context.Context, d dialect.Dialect, srv dialect.Server, p *plan.Plan, now time.Time,
	then func(*dialect.Database) error) (applied int, err error) {
	name, err := newScratch(ctx, srv, now)
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
