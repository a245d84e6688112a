package herd

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/herdhq/herd/control"
)

// DefaultImportBatch is how many tenants ImportTenants registers between
// two progress reports, by default.
const DefaultImportBatch = 50

// ImportOptions are the choices of an import; the zero value registers
// tenants whose databases exist and changes no registered tenant.
type ImportOptions struct {
	// Create creates the database of a new tenant when it does not
	// exist; without it, such a tenant is refused.
	Create bool
	// Update changes a registered tenant whose row differs from its
	// registry entry (name, tier, tags, features); without it the
	// difference is reported and nothing changes.
	Update bool
	// Batch is how many tenants are registered between two calls of
	// Progress; default DefaultImportBatch.
	Batch int
	// Progress, if set, hears how many of the tenants to register or
	// update are done, after each batch.
	Progress func(done, total int)
}

// ImportAction is what an import did with one row.
type ImportAction string

// The import actions.
const (
	// ImportAdded registered a new tenant.
	ImportAdded ImportAction = "added"
	// ImportUnchanged found the tenant registered as the row says.
	ImportUnchanged ImportAction = "unchanged"
	// ImportUpdated changed a registered tenant to the row (Update).
	ImportUpdated ImportAction = "updated"
	// ImportDiffers found a registered tenant that differs from the row,
	// and left it as it is (no Update).
	ImportDiffers ImportAction = "differs"
)

// ImportedTenant is one row of an import and what became of it.
type ImportedTenant struct {
	Line     int          `json:"line"`
	Code     string       `json:"code"`
	Server   string       `json:"server"`
	Database string       `json:"database"`
	Action   ImportAction `json:"action"`
	// Differences says how a registered tenant differs from its row
	// ("tier gold -> premium"), for ImportUpdated and ImportDiffers.
	Differences []string `json:"differences,omitempty"`
	// Created is set when the import created the tenant's database.
	Created bool `json:"created,omitempty"`
}

// ImportReport is the outcome of an import, row by row.
type ImportReport struct {
	File    string           `json:"file"`
	Tenants []ImportedTenant `json:"tenants"`
}

// Count returns how many rows ended with action a.
func (r ImportReport) Count(a ImportAction) int {
	n := 0
	for _, t := range r.Tenants {
		if t.Action == a {
			n++
		}
	}
	return n
}

// ImportTenants registers the tenants of the import file at path (see
// ReadTenantFile). It checks the whole file first: each row as AddTenant
// would (code, tier, features, server, database name), codes and
// databases given twice, a tenant registered on another server or
// database, a new tenant's database that does not exist (unless
// opts.Create) or that another fleet owns. Every problem is reported with
// its path:line in one *InputError, and then nothing is registered. It
// then registers the new tenants (through AddTenant) and, with
// opts.Update, changes the registered tenants whose rows differ (through
// SetTenant), in file order, calling opts.Progress after every
// opts.Batch of them. It stops at the first that fails, returning the
// report of the rows before it, which are done. Importing the same file again
// changes nothing.
func (f *Fleet) ImportTenants(ctx context.Context, path string, opts ImportOptions) (ImportReport, error) {
	file, err := os.Open(path)
	if err != nil {
		return ImportReport{}, &InputError{Err: fmt.Errorf("import: %w", err)}
	}
	rows, err := ReadTenantFile(path, file)
	file.Close()
	if err != nil {
		return ImportReport{}, err
	}
	report, specs, err := f.checkImport(ctx, path, rows, opts)
	if err != nil {
		return report, err
	}
	batch := opts.Batch
	if batch <= 0 {
		batch = DefaultImportBatch
	}
	var work []int // the rows to add or update
	for i, t := range report.Tenants {
		if t.Action == ImportAdded || t.Action == ImportUpdated {
			work = append(work, i)
		}
	}
	for done, i := range work {
		t := &report.Tenants[i]
		spec := specs[i]
		if t.Action == ImportAdded {
			_, err = f.AddTenant(ctx, spec)
		} else {
			_, err = f.SetTenant(ctx, t.Code, TenantChange{Name: &spec.Name, Tier: &spec.Tier, Tags: &spec.Tags, Features: &spec.Features})
		}
		if err != nil {
			// The report holds the rows before this one: those are done.
			report.Tenants = report.Tenants[:i]
			return report, fmt.Errorf("import %s:%d: %w", path, t.Line, err)
		}
		if opts.Progress != nil && ((done+1)%batch == 0 || done+1 == len(work)) {
			opts.Progress(done+1, len(work))
		}
	}
	if len(work) > 0 {
		// The registry changed, perhaps from empty to thousands: the
		// engine's planner would plan its pages for the registry before.
		// The tenants are registered whether or not this works.
		if err := f.control.RefreshStatistics(ctx); err != nil {
			f.opts.Logger.Warn("herd: tenant import: could not refresh the control database's statistics", "err", err)
		}
	}
	return report, nil
}

// checkImport checks rows as a whole and returns what the import will do
// with each, and each row's spec with its defaults filled in. Every
// problem found is in the one *InputError it returns.
func (f *Fleet) checkImport(ctx context.Context, path string, rows []TenantRow, opts ImportOptions) (ImportReport, []TenantSpec, error) {
	registered, err := f.control.Tenants(ctx)
	if err != nil {
		return ImportReport{}, nil, fmt.Errorf("import %s: %w", path, err)
	}
	byCode := map[string]control.Tenant{}
	byDatabase := map[string]string{} // server/database -> code
	for _, t := range registered {
		byCode[t.Code] = t
		byDatabase[t.Server+"/"+t.Database] = t.Code
	}
	report := ImportReport{File: path}
	specs := make([]TenantSpec, len(rows))
	var problems []string
	codeLine, databaseLine := map[string]int{}, map[string]int{}
	for i, row := range rows {
		spec := row.Spec
		problem := func(format string, args ...any) {
			problems = append(problems, fmt.Sprintf("%d: ", row.Line)+fmt.Sprintf(format, args...))
		}
		if have, ok := byCode[spec.Code]; ok {
			// A registered tenant stays where it is unless the row says
			// otherwise.
			spec.Server, spec.Database = cmp.Or(spec.Server, have.Server), cmp.Or(spec.Database, have.Database)
		}
		srv, name, err := f.checkSpec(spec)
		if err != nil {
			problem("%v", err)
			continue
		}
		spec.Server, spec.Database, spec.ExistingOnly = srv.cfg.Name, name, !opts.Create
		spec.Name, spec.Tier = cmp.Or(spec.Name, spec.Code), cmp.Or(spec.Tier, "standard")
		key := spec.Server + "/" + name
		if first, ok := codeLine[spec.Code]; ok {
			problem("tenant %q is also on line %d", spec.Code, first)
			continue
		}
		if first, ok := databaseLine[key]; ok {
			problem("tenant %q: database %s on server %q is also on line %d", spec.Code, name, spec.Server, first)
			continue
		}
		codeLine[spec.Code], databaseLine[key] = row.Line, row.Line
		specs[i] = spec
		t := ImportedTenant{Line: row.Line, Code: spec.Code, Server: spec.Server, Database: name, Action: ImportAdded}
		if have, ok := byCode[spec.Code]; ok {
			if have.Server != spec.Server || have.Database != name {
				problem("tenant %q is registered with database %s on server %q, not %s on %q; an import does not move a tenant",
					spec.Code, have.Database, have.Server, name, spec.Server)
				continue
			}
			t.Differences = differences(have, spec)
			switch {
			case len(t.Differences) == 0:
				t.Action = ImportUnchanged
			case opts.Update:
				t.Action = ImportUpdated
			default:
				t.Action = ImportDiffers
			}
			report.Tenants = append(report.Tenants, t)
			continue
		}
		if other, ok := byDatabase[key]; ok {
			problem("tenant %q: database %s on server %q is tenant %q's", spec.Code, name, spec.Server, other)
			continue
		}
		exists, err := srv.Exists(ctx, name)
		if err != nil {
			return report, nil, fmt.Errorf("import %s:%d: tenant %q: %w", path, row.Line, spec.Code, err)
		}
		switch {
		case !exists && !opts.Create:
			problem("%v", missingDatabase(spec.Code, name, spec.Server))
			continue
		case !exists:
			t.Created = true
		default:
			if err := f.checkDatabaseOwner(ctx, srv, name); IsInputError(err) {
				problem("tenant %q: %v", spec.Code, err)
				continue
			} else if err != nil {
				return report, nil, fmt.Errorf("import %s:%d: tenant %q: %w", path, row.Line, spec.Code, err)
			}
		}
		report.Tenants = append(report.Tenants, t)
	}
	if len(problems) > 0 {
		return ImportReport{File: path}, nil, lineErrors(path, problems)
	}
	// Without a problem, every row made its spec and its report entry.
	return report, specs, nil
}

// differences says how registered tenant t differs from spec, field by
// field.
func differences(t control.Tenant, spec TenantSpec) []string {
	var out []string
	if t.Name != spec.Name {
		out = append(out, fmt.Sprintf("name %q -> %q", t.Name, spec.Name))
	}
	if t.Tier != spec.Tier {
		out = append(out, fmt.Sprintf("tier %s -> %s", t.Tier, spec.Tier))
	}
	if !sameSet(t.Tags, spec.Tags) {
		out = append(out, fmt.Sprintf("tags [%s] -> [%s]", strings.Join(t.Tags, ", "), strings.Join(spec.Tags, ", ")))
	}
	if !sameSet(t.Features, spec.Features) {
		out = append(out, fmt.Sprintf("features [%s] -> [%s]", strings.Join(t.Features, ", "), strings.Join(spec.Features, ", ")))
	}
	return out
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
