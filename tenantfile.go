package herd

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
)

// TenantRow is one tenant of an import file (see Fleet.ImportTenants),
// with the line it is on.
type TenantRow struct {
	Line int
	Spec TenantSpec
}

// tenantFields are the fields of an import file, in the order a CSV
// header names them.
var tenantFields = []string{"code", "name", "tier", "server", "database", "tags", "features"}

// ReadTenantFile reads the tenants of an import file called name: CSV
// with a header naming some of code, name, tier, server, database, tags
// and features (tags and features separated by semicolons), or JSON lines
// of objects with those keys (tags and features as arrays). A name that
// ends in .csv is CSV; .jsonl, .ndjson or .json is JSON lines; otherwise
// the first character decides ('{' is JSON lines). It reports every
// malformed line, each as name:line, in one *InputError.
func ReadTenantFile(name string, r io.Reader) ([]TenantRow, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	var (
		rows     []TenantRow
		problems []string
	)
	if jsonLines(name, data) {
		rows, problems = readJSONLines(data)
	} else {
		rows, problems = readCSV(data)
	}
	if len(problems) > 0 {
		return nil, lineErrors(name, problems)
	}
	if len(rows) == 0 {
		return nil, &InputError{Err: fmt.Errorf("%s: no tenants", name)}
	}
	return rows, nil
}

// lineErrors is one *InputError listing problems (each "line: what") of
// file name, a line each.
func lineErrors(name string, problems []string) error {
	for i, p := range problems {
		problems[i] = name + ":" + p
	}
	return &InputError{Err: errors.New(strings.Join(problems, "\n"))}
}

// jsonLines reports whether the file called name, holding data, is JSON
// lines rather than CSV.
func jsonLines(name string, data []byte) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return false
	case ".jsonl", ".ndjson", ".json":
		return true
	}
	return bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n\uFEFF"), []byte("{"))
}

// readJSONLines reads the rows of a JSON-lines import file, and a
// problem ("line: what") for each line that is not a tenant's object.
func readJSONLines(data []byte) (rows []TenantRow, problems []string) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	n := 0 // the line number
	for sc.Scan() {
		n++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(text))
		dec.DisallowUnknownFields()
		var spec TenantSpec
		if err := dec.Decode(&spec); err != nil {
			problems = append(problems, fmt.Sprintf("%d: %v (known fields: %s)", n, err, strings.Join(tenantFields, ", ")))
			continue
		}
		rows = append(rows, TenantRow{Line: n, Spec: spec})
	}
	if err := sc.Err(); err != nil { // a line too long: the one after the last read
		problems = append(problems, fmt.Sprintf("%d: %v", n+1, err))
	}
	return rows, problems
}

// readCSV reads the rows of a CSV import file, and a problem ("line:
// what") for its header's and each malformed row's faults.
func readCSV(data []byte) (rows []TenantRow, problems []string) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\uFEFF"))))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, []string{fmt.Sprintf("1: read the header: %v", err)}
	}
	column := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if !slices.Contains(tenantFields, h) {
			problems = append(problems, fmt.Sprintf("1: unknown column %q (known: %s)", h, strings.Join(tenantFields, ", ")))
		}
		column[h] = i
	}
	if _, ok := column["code"]; !ok {
		problems = append(problems, "1: the header has no code column")
	}
	if len(problems) > 0 {
		return nil, problems
	}
	for {
		record, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, problems
		}
		var malformed *csv.ParseError
		if errors.As(err, &malformed) {
			problems = append(problems, fmt.Sprintf("%d: %v", malformed.StartLine, malformed.Err))
			continue
		}
		if err != nil {
			return rows, append(problems, fmt.Sprintf("%d: %v", len(rows)+2, err))
		}
		line, _ := r.FieldPos(0)
		if len(record) != len(header) {
			problems = append(problems, fmt.Sprintf("%d: %d fields; the header has %d", line, len(record), len(header)))
			continue
		}
		field := func(name string) string {
			if i, ok := column[name]; ok {
				return strings.TrimSpace(record[i])
			}
			return ""
		}
		rows = append(rows, TenantRow{Line: line, Spec: TenantSpec{Code: field("code"), Name: field("name"), Tier: field("tier"),
			Server: field("server"), Database: field("database"), Tags: splitCell(field("tags")), Features: splitCell(field("features"))}})
	}
}

// splitCell splits a CSV cell that holds a list at its semicolons.
func splitCell(cell string) []string {
	var out []string
	for _, item := range strings.Split(cell, ";") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
