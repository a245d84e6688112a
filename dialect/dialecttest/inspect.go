package dialecttest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/dialect"
)

// testInspect applies the engine's every-object fixture to two tenants and
// checks that the Inspector describes both alike, with no tenant's name in
// the description, the fixture's view and its check
// constraints included, and that a new view shows.
func (s *suite) testInspect(t *testing.T) {
	ctx := t.Context()
	ins := s.d.(dialect.Inspector)
	describe := func(db *dialect.Database) ([]dialect.Table, []dialect.View) {
		t.Helper()
		tables, err := ins.Tables(ctx, db)
		require.NoError(t, err)
		views, err := ins.Views(ctx, db)
		require.NoError(t, err)
		return tables, views
	}
	fixture := "testdata/every_object." + s.d.Name() + ".sql"
	a, adb := s.tenant(t)
	s.apply(t, adb, fixtures, fixture)
	_, bdb := s.tenant(t)
	s.apply(t, bdb, fixtures, fixture)

	at, av := describe(adb)
	bt, bv := describe(bdb)
	assert.Equal(t, at, bt, "tables")
	assert.Equal(t, av, bv, "views")
	var totals *dialect.View
	for i := range av {
		assert.NotContains(t, av[i].Definition, a, "view %s names its database", av[i].Name)
		if av[i].Name == "pupil_totals" {
			totals = &av[i]
		}
	}
	require.NotNil(t, totals, "the view pupil_totals is described: %v", av)
	assert.Contains(t, totals.Definition, "pupils")
	checks := 0
	for _, tb := range at {
		checks += len(tb.Checks)
	}
	require.Positive(t, checks, "the fixture's check constraints are described")

	s.execAll(t, bdb, "CREATE VIEW "+s.q("pupil_names")+" AS SELECT id, name FROM "+s.q("pupils"))
	_, bv = describe(bdb)
	require.Len(t, bv, len(av)+1, "a new view is described")
}
