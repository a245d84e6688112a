package release_test

import (
	"io/fs"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/config"
	schoolerp "github.com/herdhq/herd/examples/school-erp"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/release"
	"github.com/herdhq/herd/source"
)

// The School ERP example's releases and migrations lint clean: no up
// script drops or renames a table or column (its "drop" and "rename" are in
// down scripts and comments), and v2.0.0, marked breaking, names a rollback
// point, and every migration has its down file.
func TestLintSchoolERP(t *testing.T) {
	t.Parallel()
	files := schoolerp.Files()
	data, err := fs.ReadFile(files, "herd.yaml")
	require.NoError(t, err)
	cfg, err := config.Parse(data, "examples/school-erp/herd.yaml")
	require.NoError(t, err)
	migrations, err := fs.Sub(files, "migrations")
	require.NoError(t, err)
	src, err := source.Load(migrations, herdtest.SourceEngines(), nil)
	require.NoError(t, err)

	m := release.New(cfg.Releases, src)
	require.Equal(t, []string{"v1.0.0", "v1.1.0", "v2.0.0"}, names(m.Releases()))
	require.Equal(t, release.Findings{}, release.Lint(m, src, cfg))

	v2, _ := m.Find("v2.0.0")
	require.Equal(t, []string{"audit_logs", "basic_erp", "custom_fields", "enhanced_fees", "fee_configurations"}, v2.Features)
}
