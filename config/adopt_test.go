package config_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/config"
)

// AddTenantCustomisations inserts the rules where they go and leaves every
// other byte of herd.yaml (comments, blank lines, spacing, quoting) as it
// was, whatever the style of the sections it extends.
func TestAddTenantCustomisations(t *testing.T) {
	t.Parallel()
	rules := []config.Customisation{{Object: "column", Pattern: "students.house_colour"}, {Object: "index", Pattern: "students.x[1]"}}
	const added = `{column: "students.house_colour"}, {index: "students.x[1]"}`
	tests := []struct {
		name, src, want string
	}{
		{name: "a block list of the tenant's, with comments and blank lines",
			src: `# herd.yaml
control: sqlite:control.db   # the control database

customisations:
  # agreed with the trusts
  all: [ {table: "custom_*"} ]
  tenants:
    st_marys:
      - {view: v1}    # 2026-11
      - column: students.y


    other: [{table: t}]
# end
`,
			want: `# herd.yaml
control: sqlite:control.db   # the control database

customisations:
  # agreed with the trusts
  all: [ {table: "custom_*"} ]
  tenants:
    st_marys:
      - {view: v1}    # 2026-11
      - column: students.y
      - {column: "students.house_colour"}
      - {index: "students.x[1]"}


    other: [{table: t}]
# end
`},
		{name: "a flow list of the tenant's, on two lines",
			src:  "customisations:\n  tenants:\n    st_marys: [{view: v1},   # first\n      {view: 'v]2'}  ]\n",
			want: "customisations:\n  tenants:\n    st_marys: [{view: v1},   # first\n      {view: 'v]2'}, " + added + "  ]\n"},
		{name: "an empty flow list",
			src:  "customisations:\n  tenants:\n    st_marys: []\n",
			want: "customisations:\n  tenants:\n    st_marys: [" + added + "]\n"},
		{name: "a tenant with no value",
			src:  "customisations:\n  tenants:\n    st_marys:   # none yet\n",
			want: "customisations:\n  tenants:\n    st_marys: [" + added + "]   # none yet\n"},
		{name: "a tenant not yet in a block mapping",
			src:  "customisations:\n  tenants:\n    other:\n      - {table: t}\n\n# servers next\nservers: []\n",
			want: "customisations:\n  tenants:\n    other:\n      - {table: t}\n    st_marys: [" + added + "]\n\n# servers next\nservers: []\n"},
		{name: "a tenant not yet in a flow mapping",
			src:  "customisations:\n  tenants: {other: [{table: t}]}   # one\n",
			want: "customisations:\n  tenants: {other: [{table: t}], st_marys: [" + added + "]}   # one\n"},
		{name: "no tenants section",
			src:  "customisations:\n  all: [{table: \"custom_*\"}]\nservers: []\n",
			want: "customisations:\n  all: [{table: \"custom_*\"}]\n  tenants:\n    st_marys: [" + added + "]\nservers: []\n"},
		{name: "no customisations section, no final newline",
			src:  "# herd.yaml\nservers: []",
			want: "# herd.yaml\nservers: []\ncustomisations:\n  tenants:\n    st_marys: [" + added + "]\n"},
		{name: "an empty file",
			src:  "",
			want: "customisations:\n  tenants:\n    st_marys: [" + added + "]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := config.AddTenantCustomisations([]byte(tt.src), "st_marys", rules)
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
		})
	}
	_, err := config.AddTenantCustomisations([]byte("customisations:\n  tenants:\n    st_marys: 3\n"), "st_marys", rules)
	assert.ErrorContains(t, err, "customisations.tenants.st_marys (line 3) is not a list of rules")
}
