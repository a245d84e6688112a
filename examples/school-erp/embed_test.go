package schoolerp

import (
	"bufio"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// engines are the engine suffixes a migration file may carry.
var engines = []string{"sqlite", "postgres", "mysql"}

// fileName is the migrations naming convention:
// NNN_name[.engine].(up|down|validate).sql.
var fileName = regexp.MustCompile(`^(\d{3})_([a-z0-9]+(?:_[a-z0-9]+)*)(?:\.(sqlite|postgres|mysql))?\.(up|down|validate)\.sql$`)

// versionDir is a schema version folder name: vMAJOR.MINOR.PATCH.
var versionDir = regexp.MustCompile(`^v(\d+)\.(\d+)\.(\d+)$`)

// migration is what the test knows of one migration of one target.
type migration struct {
	target  string // system or tenant
	version string // v1.1.0
	seq     int
	stem    string            // 004_add_custom_field_values
	files   map[string]string // "up", "postgres.up", ... -> path
}

func (m *migration) id() string { return m.version + "/" + m.stem }

// file returns the file herd would use for engine and direction: the
// engine's override if there is one, else the plain file.
func (m *migration) file(engine, direction string) (string, bool) {
	if p, ok := m.files[engine+"."+direction]; ok {
		return p, true
	}
	p, ok := m.files[direction]
	return p, ok
}

func TestFilesHasProjectLayout(t *testing.T) {
	t.Parallel()
	for _, name := range []string{
		"herd.yaml",
		"migrations/system/v1.0.0",
		"migrations/tenant/v1.0.0",
		"demo/seed.sqlite.sql",
	} {
		if _, err := fs.Stat(Files(), name); err != nil {
			t.Errorf("Files() lacks %s: %v", name, err)
		}
	}
	yaml, err := fs.ReadFile(Files(), "herd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"control:", "tenant_database: school_erp_trust_{code}", "migrations: ./migrations", "releases:", "v2.0.0:"} {
		if !strings.Contains(string(yaml), want) {
			t.Errorf("herd.yaml lacks %q", want)
		}
	}
}

func TestMigrationsFollowTheConventions(t *testing.T) {
	t.Parallel()
	for _, target := range []string{"system", "tenant"} {
		t.Run(target, func(t *testing.T) {
			t.Parallel()
			migrations := loadMigrations(t, target)
			want := map[string]int{"system": 7, "tenant": 8}[target]
			if len(migrations) != want {
				t.Errorf("%d %s migrations, want %d", len(migrations), target, want)
			}
			byID := map[string]*migration{}
			for i, m := range migrations {
				byID[m.id()] = m
				if m.seq != i+1 {
					t.Errorf("%s: sequence %03d, want %03d (global, increasing, no gaps)", m.id(), m.seq, i+1)
				}
			}
			for _, m := range migrations {
				checkMigration(t, m, byID)
			}
		})
	}
}

// checkMigration checks that every engine has an up and a down for m, that
// only up files carry metadata, that every engine's up carries the same
// metadata, and that data migrations can be validated.
func checkMigration(t *testing.T, m *migration, byID map[string]*migration) {
	t.Helper()
	if _, ok := m.files["up"]; !ok {
		t.Errorf("%s: no plain up file (the fallback for engines without an override)", m.id())
	}
	var plainMeta map[string]string
	for _, engine := range engines {
		up, ok := m.file(engine, "up")
		if !ok {
			t.Errorf("%s: no up file for %s", m.id(), engine)
			continue
		}
		if _, ok := m.file(engine, "down"); !ok {
			t.Errorf("%s: %s has an up file but no down file", m.id(), engine)
		}
		meta := readMetadata(t, up)
		if plainMeta == nil {
			plainMeta = meta
		} else if fmt.Sprint(meta) != fmt.Sprint(plainMeta) {
			t.Errorf("%s: %s metadata %v differs from %v", m.id(), up, meta, plainMeta)
		}
		if dep, ok := meta["depends"]; ok {
			d, known := byID[dep]
			switch {
			case !known:
				t.Errorf("%s: depends on unknown migration %q", m.id(), dep)
			case d.seq >= m.seq:
				t.Errorf("%s: depends on later migration %q", m.id(), dep)
			}
		}
	}
	for key, p := range m.files {
		if strings.HasSuffix(key, "up") {
			continue
		}
		if meta := readMetadata(t, p); len(meta) > 0 {
			t.Errorf("%s: metadata %v outside an up file", p, meta)
		}
	}
	if plainMeta["kind"] == "data" || m.version != "v1.0.0" {
		if _, ok := m.files["validate"]; !ok {
			t.Errorf("%s: no validate file", m.id())
		}
	}
}

// loadMigrations walks migrations/<target> and returns its migrations in
// (version, sequence) order, failing the test on a misnamed file or folder.
func loadMigrations(t *testing.T, target string) []*migration {
	t.Helper()
	root := path.Join("migrations", target)
	byStem := map[string]*migration{}
	err := fs.WalkDir(Files(), root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, root+"/")
		switch {
		case p == root:
			return nil
		case d.IsDir():
			if !versionDir.MatchString(rel) {
				t.Errorf("%s: not a schema version folder (vMAJOR.MINOR.PATCH)", p)
			}
			return nil
		}
		version, name := path.Split(rel)
		version = strings.TrimSuffix(version, "/")
		f := fileName.FindStringSubmatch(name)
		if f == nil || !versionDir.MatchString(version) {
			t.Errorf("%s: not NNN_name[.engine].(up|down|validate).sql in a version folder", p)
			return nil
		}
		seq, _ := strconv.Atoi(f[1])
		stem := f[1] + "_" + f[2]
		m := byStem[stem]
		if m == nil {
			m = &migration{target: target, version: version, seq: seq, stem: stem, files: map[string]string{}}
			byStem[stem] = m
		} else if m.version != version {
			t.Errorf("%s: %s is also in %s", p, stem, m.version)
		}
		key := f[4]
		if f[3] != "" {
			key = f[3] + "." + f[4]
		}
		m.files[key] = p
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", root, err)
	}
	var out []*migration
	for _, m := range byStem {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		if c := compareVersions(out[i].version, out[j].version); c != 0 {
			return c < 0
		}
		return out[i].seq < out[j].seq
	})
	for i := 1; i < len(out); i++ {
		if out[i].seq <= out[i-1].seq {
			t.Errorf("%s: sequence does not increase after %s", out[i].id(), out[i-1].id())
		}
	}
	return out
}

// readMetadata returns the herd: keys of the leading comment lines of the
// file at p, failing the test on an unknown key or kind.
func readMetadata(t *testing.T, p string) map[string]string {
	t.Helper()
	f, err := Files().Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	meta := map[string]string{}
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		line := strings.TrimSpace(lines.Text())
		if line == "" {
			continue
		}
		if !strings.HasPrefix(line, "--") {
			break
		}
		rest, ok := strings.CutPrefix(strings.TrimSpace(strings.TrimPrefix(line, "--")), "herd:")
		if !ok {
			continue
		}
		key, value, _ := strings.Cut(rest, " ")
		value = strings.TrimSpace(value)
		switch key {
		case "kind":
			if value != "schema" && value != "data" && value != "feature" {
				t.Errorf("%s: herd:kind %q, want schema, data or feature", p, value)
			}
		case "no-transaction":
			if value != "" {
				t.Errorf("%s: herd:no-transaction takes no value, got %q", p, value)
			}
		case "depends":
			if value == "" {
				t.Errorf("%s: herd:depends names no migration", p)
			}
		case "chunked":
			if !strings.Contains(value, "table=") || !strings.Contains(value, "key=") {
				t.Errorf("%s: herd:chunked names no table= and key=", p)
			}
		default:
			t.Errorf("%s: unknown metadata key herd:%s", p, key)
		}
		meta[key] = value
	}
	if err := lines.Err(); err != nil {
		t.Fatalf("read %s: %v", p, err)
	}
	return meta
}

// compareVersions orders two version folder names (vX.Y.Z) numerically.
func compareVersions(a, b string) int {
	pa, pb := versionDir.FindStringSubmatch(a), versionDir.FindStringSubmatch(b)
	for i := 1; i <= 3; i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x - y
		}
	}
	return 0
}
