package release_test

import (
	"fmt"
	"testing"
	"testing/fstest"

	"github.com/Masterminds/semver/v3"
	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/release"
	"github.com/herdhq/herd/source"
)

// configHead is the part of herd.yaml every test shares: four lines, so a
// release declared on the line after "releases:" is on line 6.
const configHead = `control: sqlite:./control.db
servers: {default: "sqlite:./tenants"}
tenant_database: trust_{code}
migrations: ./migrations
`

// declared parses herd.yaml with the given releases: block.
func declared(t *testing.T, releases string) []config.Release {
	t.Helper()
	return parse(t, releases, "herd.yaml").Releases
}

// parse parses configHead followed by rest (releases, flags) as the file
// at path.
func parse(t *testing.T, rest, path string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(configHead+rest), path)
	require.NoError(t, err)
	return cfg
}

func file(body string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(body)} }

// load loads a source from the given files, path → SQL, for engines (every
// engine when none is named).
func load(t *testing.T, files map[string]string, engines ...string) *source.Source {
	t.Helper()
	fsys := fstest.MapFS{}
	for p, body := range files {
		fsys[p] = file(body)
	}
	src, err := source.Load(fsys, herdtest.SourceEngines(engines...), &source.Options{Known: config.Engines()})
	require.NoError(t, err)
	return src
}

// folders is a source with one trivial migration per version folder.
func folders(t *testing.T, system, tenant []string) *source.Source {
	t.Helper()
	files := map[string]string{}
	for i, v := range system {
		files[fmt.Sprintf("system/%s/%03d_s.up.sql", v, i+1)] = "SELECT 1;"
	}
	for i, v := range tenant {
		files[fmt.Sprintf("tenant/%s/%03d_t.up.sql", v, i+1)] = "SELECT 1;"
	}
	return load(t, files)
}

func names(rs []release.Release) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Name
	}
	return out
}

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		releases string
		system   []string
		tenant   []string
		want     []string // names in order
		check    func(t *testing.T, m *release.Matrix)
	}{
		{
			name:   "only folders",
			system: []string{"v1.0.0"},
			tenant: []string{"v1.0.0", "v1.1.0", "v2.0.0-dev", "v10.0.0"}, // in semver order: sequences grow
			want:   []string{"v1.0.0", "v1.1.0", "v2.0.0-dev", "v10.0.0"},
			check: func(t *testing.T, m *release.Matrix) {
				r, ok := m.Find("1.1.0")
				require.True(t, ok)
				require.False(t, r.Declared)
				require.Zero(t, r.Line)
				require.Equal(t, "1.0.0", r.System.String(), "a tenant-only folder goes with the system schema at or below it")
				require.Equal(t, "1.1.0", r.Tenant.String())
				require.Empty(t, r.Features)
				dev, _ := m.Find("v2.0.0-dev")
				require.True(t, dev.Experimental, "a pre-release is experimental")
			},
		},
		{
			name: "declared and undeclared",
			releases: `releases:
  v1.0.0: {features: [basic]}
  v2.0.0:
    tenant: 1.5.0
    features: [fees]
    breaking_changes: true
    rollback_point: v1.0.0
`,
			system: []string{"v1.0.0", "v1.2.0"},
			tenant: []string{"v1.0.0", "v1.1.0", "v1.5.0"},
			// v1.5.0 is v2.0.0's tenant schema, so it is no release of its own.
			want: []string{"v1.0.0", "v1.1.0", "v1.2.0", "v2.0.0"},
			check: func(t *testing.T, m *release.Matrix) {
				rs := m.Releases()
				require.True(t, rs[0].Declared)
				require.Equal(t, 6, rs[0].Line)
				require.False(t, rs[1].Declared)
				require.Equal(t, []string{"basic"}, rs[1].Features, "an undeclared release inherits features")
				require.Equal(t, []string{"basic"}, rs[2].Features)
				v2 := rs[3]
				require.Equal(t, "1.5.0", v2.Tenant.String())
				require.Equal(t, "1.2.0", v2.System.String(), "system: omitted and no system/v2.0.0: the highest at or below")
				require.False(t, v2.SystemDeclared)
				require.True(t, v2.Breaking)
				require.Equal(t, "v1.0.0", v2.RollbackPoint)
				require.Equal(t, []string{"basic", "fees"}, v2.Features)
				require.Equal(t, []string{"fees"}, v2.Added)
			},
		},
		{
			name: "cumulative features with removes",
			releases: `releases:
  v1.0.0: {features: [basic, legacy_fees, reports]}
  v1.1.0: {features: [custom_fields]}
  v2.0.0: {features: [fees], removes: [legacy_fees]}
  v3.0.0: {removes: [reports, custom_fields]}
  v3.1.0: {features: [reports]}
`,
			want: []string{"v1.0.0", "v1.1.0", "v2.0.0", "v3.0.0", "v3.1.0"},
			check: func(t *testing.T, m *release.Matrix) {
				want := map[string][]string{
					"v1.0.0": {"basic", "legacy_fees", "reports"},
					"v1.1.0": {"basic", "custom_fields", "legacy_fees", "reports"},
					"v2.0.0": {"basic", "custom_fields", "fees", "reports"},
					"v3.0.0": {"basic", "fees"},
					"v3.1.0": {"basic", "fees", "reports"},
				}
				for _, r := range m.Releases() {
					require.Equal(t, want[r.Name], r.Features, r.Name)
				}
				v2, _ := m.Find("v2.0.0")
				require.Equal(t, []string{"legacy_fees"}, v2.Removed)
			},
		},
		{
			name: "no source",
			releases: `releases:
  v1.0.0:
  v0.9.0: {experimental: true}
`,
			want: []string{"v0.9.0", "v1.0.0"},
			check: func(t *testing.T, m *release.Matrix) {
				r, _ := m.Find("v0.9.0")
				require.True(t, r.Experimental)
				require.Equal(t, []string{}, r.Features)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var src *source.Source
			if tt.system != nil || tt.tenant != nil {
				src = folders(t, tt.system, tt.tenant)
			}
			m := release.New(declared(t, tt.releases), src)
			require.Equal(t, tt.want, names(m.Releases()))
			if tt.check != nil {
				tt.check(t, m)
			}
		})
	}
}

func TestFind(t *testing.T) {
	t.Parallel()
	m := release.New(declared(t, "releases:\n  v1.0.0:\n  2.0.0:\n"), nil)
	tests := []struct {
		name, find, want string
		ok               bool
	}{
		{"as declared", "v1.0.0", "v1.0.0", true},
		{"without v", "1.0.0", "v1.0.0", true},
		{"declared without v, found with", "v2.0.0", "2.0.0", true},
		{"unknown", "v1.1.0", "", false},
		{"not a version", "latest", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, ok := m.Find(tt.find)
			require.Equal(t, tt.ok, ok)
			require.Equal(t, tt.want, r.Name)
		})
	}
}

func TestOnTenant(t *testing.T) {
	t.Parallel()
	m := release.New(declared(t, `releases:
  v1.0.0: {tenant: 1.0.0}
  v1.1.0: {tenant: 1.1.0}
  v2.0.0: {tenant: 1.3.0}
`), nil)
	tests := []struct {
		name, version, want string
		ok                  bool
	}{
		{"below the first", "0.9.0", "", false},
		{"exactly the first", "1.0.0", "v1.0.0", true},
		{"between releases", "1.0.5", "v1.0.0", true},
		{"a pre-release is below its version", "1.1.0-dev", "v1.0.0", true},
		{"tenant schema of a later release", "1.3.0", "v2.0.0", true},
		{"above the last", "9.0.0", "v2.0.0", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, ok := m.OnTenant(semver.MustParse(tt.version))
			require.Equal(t, tt.ok, ok)
			require.Equal(t, tt.want, r.Name)
		})
	}
	_, ok := m.OnTenant(nil)
	require.False(t, ok, "never migrated")
}

func TestMissing(t *testing.T) {
	t.Parallel()
	m := release.New(declared(t, `releases:
  v1.0.0: {features: [basic, legacy_fees]}
  v2.0.0: {features: [fees], removes: [legacy_fees]}
`), nil)
	require.Equal(t, []string{"basic", "fees", "legacy_fees"}, m.Features(), "every feature a release adds, removed ones too")
	v2, _ := m.Find("v2.0.0")
	tests := []struct {
		name    string
		enabled []string
		want    []string
	}{
		{"none enabled", nil, nil},
		{"all present", []string{"fees", "basic"}, nil},
		{"removed feature", []string{"legacy_fees", "basic"}, []string{"legacy_fees"}},
		{"sorted and once", []string{"zeta", "alpha", "zeta", "fees"}, []string{"alpha", "zeta"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, v2.Missing(tt.enabled))
		})
	}
}
