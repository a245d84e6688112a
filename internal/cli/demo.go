package cli

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/config"
	schoolerp "github.com/herdhq/herd/examples/school-erp"
)

func (a *app) demoCmd() *cobra.Command {
	var (
		dir     string
		tenants int
	)
	cmd := &cobra.Command{
		Use:   "demo [--dir D] [--tenants N]",
		Short: "Build a SQLite School ERP fleet and take it v1.0.0 -> v1.1.0 -> v2.0.0",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if tenants < 1 {
				return usagef("--tenants must be at least 1")
			}
			if dir == "" {
				var err error
				if dir, err = os.MkdirTemp("", "herd-demo-"); err != nil {
					return err
				}
			} else if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
				return &herd.InputError{Err: fmt.Errorf("demo folder %s is not empty; choose another --dir", dir)}
			}
			return a.demo(cmd.Context(), dir, tenants)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "folder for the demo fleet (default: a new temporary folder)")
	cmd.Flags().IntVar(&tenants, "tenants", 20, "number of school trusts")
	return cmd
}

// demo copies the School ERP example into dir, registers the trusts,
// migrates the fleet release by release, seeding sample rows at v1.0.0,
// then customises two trusts and checks the fleet's drift.
func (a *app) demo(ctx context.Context, dir string, tenants int) error {
	example := schoolerp.Files()
	if err := os.CopyFS(dir, example); err != nil {
		return fmt.Errorf("demo: copy the example: %w", err)
	}
	cfg, err := config.Load(filepath.Join(dir, "herd.yaml"))
	if err != nil {
		return err
	}
	seed, err := fs.ReadFile(example, "demo/seed.sqlite.sql")
	if err != nil {
		return err
	}
	f, err := herd.Open(ctx, cfg, a.env.Dialects, herd.Options{Actor: "demo"})
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintf(a.out, "herd demo: School ERP fleet with %d trusts in %s\n", tenants, dir)
	tiers := []string{"standard", "premium", "enterprise"}
	for i := 1; i <= tenants; i++ {
		spec := herd.TenantSpec{Code: fmt.Sprintf("trust_%03d", i), Name: fmt.Sprintf("School Trust %d", i),
			Tier: tiers[i%len(tiers)], Features: []string{"basic_erp"}}
		if _, err := f.AddTenant(ctx, spec); err != nil {
			return err
		}
	}
	for _, release := range cfg.Releases {
		if err := f.MigrateAll(ctx, release.Name, 4); err != nil {
			return err
		}
		fmt.Fprintf(a.out, "\nmigrated the fleet to %s\n", release.Name)
		if release.Name == cfg.Releases[0].Name {
			if err := seedTenants(ctx, f, string(seed), tenants); err != nil {
				return err
			}
			fmt.Fprintf(a.out, "seeded %d trusts with sample classes, teachers and students\n", tenants)
			if err := a.demoAnalyze(ctx, f); err != nil {
				return err
			}
		}
	}
	customise, err := fs.ReadFile(example, "demo/customise.sqlite.sql")
	if err != nil {
		return err
	}
	if err := a.demoDrift(ctx, f, string(customise), tenants); err != nil {
		return err
	}
	rows, err := f.Status(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(a.out)
	renderStatus(a.out, rows)
	fmt.Fprintf(a.out, "\nexplore it: go run ./cmd/herd --config %s status\n", filepath.Join(dir, "herd.yaml"))
	return nil
}

// demoAnalyze measures the trusts (herd analyze) and says what their size
// classes mean for the chunked backfill of v2.0.0.
func (a *app) demoAnalyze(ctx context.Context, f *herd.Fleet) error {
	sizes, err := f.AnalyzeTenants(ctx, herd.Selection{}, 4)
	if err != nil {
		return err
	}
	classes := map[herd.SizeClass]int{}
	for _, sz := range sizes {
		classes[f.SizeClass(sz)]++
	}
	fmt.Fprintf(a.out, "analysed %d trusts: %d small, %d large (small trusts run v2.0.0's chunked backfill as one statement, large ones range by range)\n",
		len(sizes), classes[herd.SizeSmall], classes[herd.SizeLarge])
	return nil
}

// demoDrift runs each trust's part of script (under its "-- name: CODE"
// line; trusts the demo did not make are left out), as a support engineer
// would change a trust, then compares every trust with its reference
// schema as herd drift --all does.
func (a *app) demoDrift(ctx context.Context, f *herd.Fleet, script string, tenants int) error {
	var code string
	parts := map[string]string{}
	for _, line := range strings.SplitAfter(script, "\n") {
		if name, ok := strings.CutPrefix(line, "-- name: "); ok {
			code = strings.TrimSpace(name)
			continue
		}
		parts[code] += line
	}
	changed := 0
	for i := 1; i <= tenants; i++ {
		code := fmt.Sprintf("trust_%03d", i)
		if part, ok := parts[code]; ok {
			if _, err := f.SeedTenant(ctx, code, part); err != nil {
				return fmt.Errorf("demo: customise %s: %w", code, err)
			}
			changed++
		}
	}
	checked, _, err := f.DriftTenants(ctx, herd.Selection{}, 4)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.out, "\nsupport engineers changed %d trusts; herd drift --all:\n", changed)
	renderDrifts(a.out, checked, nil)
	return nil
}

// seedTenants loads the sample rows into every trust's database.
func seedTenants(ctx context.Context, f *herd.Fleet, seed string, tenants int) error {
	for i := 1; i <= tenants; i++ {
		code := fmt.Sprintf("trust_%03d", i)
		script := strings.NewReplacer("{{code}}", code, "{{n}}", strconv.Itoa(i)).Replace(seed)
		if _, err := f.SeedTenant(ctx, code, script); err != nil {
			return fmt.Errorf("demo: seed %s: %w", code, err)
		}
	}
	return nil
}
