package herd

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/herdhq/herd/source"
)

// skipMapping, as the migration of a mapping file's entry, says that the
// tool's migration is not herd's (a Flyway repeatable, a one-off fix):
// herd baseline passes it over.
const skipMapping = "-"

// migrationMap maps a tool's records onto herd's tenant migrations.
type migrationMap struct {
	migrations []*source.Migration
	// file maps a tool version or script, from a mapping file, to a
	// migration's ID or skipMapping.
	file map[string]string
}

// readMapping reads the mapping file at path ("" for none): YAML, a
// mapping of tool version (or Flyway script) to herd migration ID, or CSV
// with the header "version,migration". A migration may be "-", for a
// tool migration herd has no counterpart of. Every problem is reported
// with its path:line in one *InputError: a malformed line, a version
// given twice, a migration herd's source lacks.
func readMapping(path string, migrations []*source.Migration) (migrationMap, error) {
	mm := migrationMap{migrations: migrations, file: map[string]string{}}
	if path == "" {
		return mm, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return mm, &InputError{Err: fmt.Errorf("mapping file: %w", err)}
	}
	var entries []mappingEntry
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		entries, err = mappingYAML(data)
	case ".csv":
		entries, err = mappingCSV(data)
	default:
		return mm, &InputError{Err: fmt.Errorf("mapping file %s: name it .yaml, .yml or .csv", path)}
	}
	if err != nil {
		return mm, &InputError{Err: fmt.Errorf("mapping file %s: %w", path, err)}
	}
	ids := map[string]bool{skipMapping: true}
	for _, m := range migrations {
		ids[m.ID()] = true
	}
	var problems []string
	line := map[string]int{}
	for _, e := range entries {
		switch first, seen := line[e.version]; {
		case e.version == "":
			problems = append(problems, fmt.Sprintf("%d: the tool's version is empty", e.line))
		case seen:
			problems = append(problems, fmt.Sprintf("%d: %s is also mapped on line %d", e.line, e.version, first))
		case !ids[e.migration]:
			problems = append(problems, fmt.Sprintf("%d: herd has no tenant migration %s", e.line, e.migration))
		default:
			line[e.version], mm.file[e.version] = e.line, e.migration
		}
	}
	if len(problems) > 0 {
		return mm, lineErrors(path, problems)
	}
	return mm, nil
}

// mappingEntry is one entry of a mapping file.
type mappingEntry struct {
	line               int
	version, migration string
}

// mappingYAML reads the entries of a YAML mapping file: one mapping of
// tool version to herd migration ID.
func mappingYAML(data []byte) ([]mappingEntry, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: want a mapping of tool version to herd migration", root.Line)
	}
	out := make([]mappingEntry, 0, len(root.Content)/2)
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: %s: want a migration ID", v.Line, k.Value)
		}
		out = append(out, mappingEntry{line: k.Line, version: strings.TrimSpace(k.Value), migration: strings.TrimSpace(v.Value)})
	}
	return out, nil
}

// mappingCSV reads the entries of a CSV mapping file: the header
// "version,migration", then a row per entry; lines starting with # are
// comments.
func mappingCSV(data []byte) ([]mappingEntry, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = 2
	r.Comment = '#'
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("line 1: %w", err)
	}
	if strings.TrimSpace(header[0]) != "version" || strings.TrimSpace(header[1]) != "migration" {
		return nil, errors.New(`line 1: the header must be "version,migration"`)
	}
	var out []mappingEntry
	for {
		record, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		line, _ := r.FieldPos(0)
		out = append(out, mappingEntry{line: line, version: strings.TrimSpace(record[0]), migration: strings.TrimSpace(record[1])})
	}
}

// resolve returns herd's migration for the tool's record r: the one the
// mapping file names; else, for a Flyway script, the one whose name is
// the script's description ("V3__create_teachers.sql" is
// *_create_teachers); else the one whose sequence number is the tool's
// version as an integer. skip is set when the mapping file says the
// record is not herd's. A record that maps to none, or to several, is a
// *toolRefusal.
func (mm migrationMap) resolve(tool Tool, r toolRecord) (m *source.Migration, skip bool, err error) {
	for _, key := range []string{r.Script, r.Version} {
		if id, ok := mm.file[key]; ok && key != "" {
			if id == skipMapping {
				return nil, true, nil
			}
			for _, m := range mm.migrations {
				if m.ID() == id {
					return m, false, nil
				}
			}
		}
	}
	if name, ok := flywayName(r.Script); ok {
		if m := mm.only(func(m *source.Migration) bool { return m.Name == name }); m != nil {
			return m, false, nil
		}
	}
	seq, err := strconv.Atoi(r.Version)
	if err != nil {
		return nil, false, &toolRefusal{msg: fmt.Sprintf("herd's source has no migration for %s's %s: map it in a mapping file (--mapping)", tool, r)}
	}
	var found []string
	for _, m := range mm.migrations {
		if m.Seq == seq {
			found = append(found, m.ID())
		}
	}
	switch len(found) {
	case 0:
		return nil, false, &toolRefusal{msg: fmt.Sprintf("herd's source has no migration for %s's %s (no tenant migration has sequence number %d)", tool, r, seq)}
	case 1:
		return mm.only(func(m *source.Migration) bool { return m.Seq == seq }), false, nil
	}
	return nil, false, &toolRefusal{msg: fmt.Sprintf("%s's %s could be any of %s: map it in a mapping file (--mapping)", tool, r, strings.Join(found, ", "))}
}

// only returns the one migration match holds for, or nil when none or
// several do.
func (mm migrationMap) only(match func(*source.Migration) bool) *source.Migration {
	var found *source.Migration
	for _, m := range mm.migrations {
		if match(m) {
			if found != nil {
				return nil
			}
			found = m
		}
	}
	return found
}

// flywayName returns the description part of a Flyway versioned script's
// file name, as herd's migration names are written: "V3__create_teachers.sql"
// and "V1_2__Create_Teachers.sql" give "create_teachers".
func flywayName(script string) (string, bool) {
	base := filepath.Base(script)
	if !strings.HasPrefix(base, "V") {
		return "", false
	}
	_, desc, ok := strings.Cut(base, "__")
	if !ok {
		return "", false
	}
	desc = strings.TrimSuffix(desc, filepath.Ext(desc))
	return strings.ToLower(strings.ReplaceAll(desc, " ", "_")), desc != ""
}
