// Package controltest is the contract of package control, as one suite
// that runs against a control database on any engine: every dialect's
// control queries must pass it. Run it with a function that makes an
// empty database on the engine for each test.
package controltest

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
)

// suite is what every test shares: the dialect under test and how to make
// a fresh database on it.
type suite struct {
	d     dialect.Dialect
	newDB func(t *testing.T) *dialect.Database
}

// Run runs the control suite for d, each test as a parallel subtest on a
// database newDB makes: empty, and closed by newDB's cleanup.
func Run(t *testing.T, d dialect.Dialect, newDB func(t *testing.T) *dialect.Database) {
	t.Helper()
	s := &suite{d: d, newDB: newDB}
	tests := []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"OpenTwice", s.testOpenTwice},
		{"MissingQuery", s.testMissingQuery},
		{"Attach", s.testAttach},
		{"Generation", s.testGeneration},
		{"Tenants", s.testTenants},
		{"Versions", s.testVersions},
		{"Stamps", s.testStamps},
		{"BeginTenants", s.testBeginTenants},
		{"MarkTargets", s.testMarkTargets},
		{"History", s.testHistory},
		{"RolloutStatus", s.testRolloutStatus},
		{"Leases", s.testLeases},
		{"ClaimRun", s.testClaimRun},
		{"FinishReleases", s.testFinishReleases},
		{"RetryAndResolve", s.testRetryAndResolve},
		{"Waves", s.testWaves},
		{"Snapshots", s.testSnapshots},
		{"Sizes", s.testSizes},
		{"References", s.testReferences},
		{"Drift", s.testDrift},
		{"Switches", s.testSwitches},
		{"WriteFreezes", s.testWriteFreezes},
		{"ShadowRuns", s.testShadowRuns},
		{"ChunkProgress", s.testChunkProgress},
		{"RollbackGuard", s.testRollbackGuard},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t)
		})
	}
}

// clock is a settable clock for a Store.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// open makes a database and opens a Store on it, on a clock that starts at
// a fixed instant.
func (s *suite) open(t *testing.T) (*control.Store, *clock, *dialect.Database) {
	t.Helper()
	db := s.newDB(t)
	c := &clock{now: time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)}
	store, err := control.Open(t.Context(), s.d, db, c.Now)
	require.NoError(t, err)
	return store, c, db
}

func (s *suite) addTenants(t *testing.T, store *control.Store, c *clock, codes ...string) {
	t.Helper()
	for _, code := range codes {
		require.NoError(t, store.AddTenant(t.Context(), control.Tenant{Code: code, Name: strings.ToUpper(code), Tier: "standard",
			Server: "main", Database: "t_" + code, Tags: []string{"eu"}, CreatedAt: c.now}))
	}
}

// overridden is a dialect whose control queries or control schema are
// replaced, for tests of what Open and Attach do with them.
type overridden struct {
	dialect.Dialect
	queries string
	schema  fs.FS
}

func (o overridden) ControlQueries() string {
	if o.queries == "" {
		return o.Dialect.ControlQueries()
	}
	return o.queries
}

func (o overridden) ControlSchema() fs.FS {
	if o.schema == nil {
		return o.Dialect.ControlSchema()
	}
	return o.schema
}

// schemaUpTo returns d's control schema migrations of versions up to and
// including last, as an earlier version of herd shipped them.
func schemaUpTo(t *testing.T, d dialect.Dialect, last string) fs.FS {
	t.Helper()
	out := fstest.MapFS{}
	err := fs.WalkDir(d.ControlSchema(), ".", func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		// system/vX.Y.Z/NNN_name.up.sql
		if v := strings.Split(path, "/")[1]; !semver.MustParse(v).GreaterThan(semver.MustParse(last)) {
			b, err := fs.ReadFile(d.ControlSchema(), path)
			if err != nil {
				return err
			}
			out[path] = &fstest.MapFile{Data: b}
		}
		return nil
	})
	require.NoError(t, err)
	return out
}

// Open migrates the control schema once: a second Open finds nothing to
// do, and the fleet's identity stays.
func (s *suite) testOpenTwice(t *testing.T) {
	store, c, db := s.open(t)
	id, err := store.FleetID(t.Context())
	require.NoError(t, err)
	require.Regexp(t, regexp.MustCompile(`^[0-9a-f]{32,64}$`), id)
	again, err := control.Open(t.Context(), s.d, db, c.Now)
	require.NoError(t, err)
	id2, err := again.FleetID(t.Context())
	require.NoError(t, err)
	require.Equal(t, id, id2)
}

// An engine whose control queries lack one is refused at Open, before
// anything is written.
func (s *suite) testMissingQuery(t *testing.T) {
	db := s.newDB(t)
	text := s.d.ControlQueries()
	i := strings.Index(text, "-- name: fleet-id")
	require.Positive(t, i)
	end := len(text) // of the query: the next one's name, or the end
	if j := strings.Index(text[i+1:], "-- name:"); j >= 0 {
		end = i + 1 + j
	}
	_, err := control.Open(t.Context(), overridden{Dialect: s.d, queries: text[:i] + text[end:]}, db, nil)
	require.ErrorContains(t, err, `query "fleet-id" is missing`)
	_, err = control.Open(t.Context(), overridden{Dialect: s.d, queries: text + "\n-- name: fleet-id\nSELECT 1\n"}, db, nil)
	require.ErrorContains(t, err, `query "fleet-id" is named twice`)
	_, err = control.Open(t.Context(), overridden{Dialect: s.d, queries: text + "\n-- name: surplus\nSELECT 1\n"}, db, nil)
	require.ErrorContains(t, err, `unknown query "surplus"`)
	ok, err := s.d.TableExists(t.Context(), db.DB, db, control.LedgerTable)
	require.NoError(t, err)
	require.False(t, ok, "a refused Open creates nothing")
}

// Attach reads a control database without migrating it, and refuses one
// whose control schema is older than the change counter.
func (s *suite) testAttach(t *testing.T) {
	ctx := t.Context()
	db := s.newDB(t)
	_, err := control.Attach(ctx, s.d, db)
	require.ErrorIs(t, err, control.ErrControlSchemaOutdated)
	require.ErrorContains(t, err, "has no control schema")
	require.ErrorContains(t, err, "herd migrate --system")
	ok, err := s.d.TableExists(ctx, db.DB, db, "herd_tenants")
	require.NoError(t, err)
	require.False(t, ok, "Attach creates nothing")

	// An earlier herd left the control schema at v1.5.0, before the
	// tenants' sizes that tenant rows carry.
	_, err = control.Open(ctx, overridden{Dialect: s.d, schema: schemaUpTo(t, s.d, "1.5.0")}, db, nil)
	require.NoError(t, err)
	_, err = control.Attach(ctx, s.d, db)
	require.ErrorIs(t, err, control.ErrControlSchemaOutdated)
	require.ErrorContains(t, err, "is at control schema v1.5.0 and v"+control.AttachVersion+" or later is needed")
	ok, err = s.d.TableExists(ctx, db.DB, db, "herd_tenant_sizes")
	require.NoError(t, err)
	require.False(t, ok, "Attach migrates nothing")

	writer, err := control.Open(ctx, s.d, db, nil)
	require.NoError(t, err)
	reader, err := control.Attach(ctx, s.d, db)
	require.NoError(t, err)
	g, err := reader.Generation(ctx)
	require.NoError(t, err)
	require.NoError(t, writer.AddTenant(ctx, control.Tenant{Code: "alpha", Server: "main", Database: "t_alpha", CreatedAt: time.Now()}))
	tenants, err := reader.Tenants(ctx)
	require.NoError(t, err)
	require.Len(t, tenants, 1)
	g2, err := reader.Generation(ctx)
	require.NoError(t, err)
	require.Greater(t, g2, g)
}
