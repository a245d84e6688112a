package herd_test

import (
	"context"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/internal/herdtest"

	schoolerp "github.com/herdhq/herd/examples/school-erp"
)

// BenchmarkSnapshot times herd's rollback point of a School ERP tenant at
// v2.0.0 with 2,000 students, taken and then restored over the tenant
// (verification included), against the floor: the engine's dump tool,
// run by hand, copying the same tenant into a new database twice (a take
// and a restore each copy the whole tenant once). It reports the ratio
// herd/floor of the two sides' times in the same run.
//
//	CI=true HERD_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/postgres HERD_TEST_MYSQL=mysql://root@127.0.0.1:3306/test \
//	  go test -run X -bench Snapshot -benchtime 3x -count 3 .
func BenchmarkSnapshot(b *testing.B) {
	for _, e := range herdtest.Engines() {
		if e.Name == "sqlite" || e.SchemaPerTenant() {
			continue // SQLite's VACUUM INTO is the floor itself
		}
		b.Run(e.Label, func(b *testing.B) {
			ctx := context.Background()
			f, database := snapshotBenchTenant(b, e)
			var herdTime, floorTime time.Duration
			for i := range b.N {
				start := time.Now()
				if _, err := f.TakeSnapshot(ctx, "bench", 0); err != nil {
					b.Fatal(err)
				}
				if _, err := f.RestoreSnapshot(ctx, "bench", "v2.0.0"); err != nil {
					b.Fatal(err)
				}
				herdTime += time.Since(start)

				start = time.Now()
				for j := range 2 {
					toolCopy(b, e, database, fmt.Sprintf("%s_floor_%d_%d", database, i, j))
				}
				floorTime += time.Since(start)
			}
			b.ReportMetric(herdTime.Seconds()/float64(b.N), "herd-s/op")
			b.ReportMetric(floorTime.Seconds()/float64(b.N), "floor-s/op")
			b.ReportMetric(herdTime.Seconds()/floorTime.Seconds(), "herd/floor")
		})
	}
}

// snapshotBenchTenant makes a fleet on e with one School ERP tenant,
// bench, at v2.0.0 with 2,000 students, and returns the fleet and the
// tenant's database name. Everything is dropped when b ends.
func snapshotBenchTenant(b *testing.B, e herdtest.Engine) (*herd.Fleet, string) {
	b.Helper()
	ctx := context.Background()
	migrations, err := fs.Sub(schoolerp.Files(), "migrations")
	if err != nil {
		b.Fatal(err)
	}
	scratch := e.NewFleet(b, migrations)
	f, err := herd.Open(ctx, scratch.Load(b), herdtest.Dialects(), herd.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		sns, _ := f.Snapshots(ctx, "bench")
		f.DropSnapshots(ctx, sns, "benchmark done") //nolint:errcheck // best effort
		f.Close()
		scratch.DropTenants(b, []string{"bench"})
	})
	t, err := f.AddTenant(ctx, herd.TenantSpec{Code: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	if err := f.MigrateAll(ctx, "", 1); err != nil {
		b.Fatal(err)
	}
	db, d, err := f.OpenTenant(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for i := range 2000 {
		_, err := db.DB.ExecContext(ctx, dialect.Bind(d, "INSERT INTO students (admission_no, first_name, last_name) VALUES (?, ?, ?)"),
			fmt.Sprintf("A-%d", i), fmt.Sprintf("F%d", i), fmt.Sprintf("L%d", i))
		if err != nil {
			b.Fatal(err)
		}
	}
	return f, t.Database
}

// toolCopy copies database src into a new database dst with the engine's
// own dump tool, as an operator would by hand, and drops dst when b ends.
func toolCopy(b *testing.B, e herdtest.Engine, src, dst string) {
	b.Helper()
	dsn := herdtest.PostgresDSN(b)
	if e.Name == "mysql" {
		dsn = herdtest.MySQLDSN(b)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		b.Fatal(err)
	}
	host, port, user := u.Hostname(), u.Port(), u.User.Username()
	var script string
	switch e.Name {
	case "postgres":
		file := filepath.Join(b.TempDir(), "d.dump")
		conn := fmt.Sprintf("-h %s -p %s -U %s", host, port, user)
		script = fmt.Sprintf("pg_dump -Fc %[1]s -f %[2]s %[3]s && psql -X -q %[1]s -d postgres -c 'CREATE DATABASE %[4]s' && pg_restore %[1]s -d %[4]s %[2]s",
			conn, file, src, dst)
		b.Cleanup(func() {
			exec.Command("psql", "-X", "-q", "-h", host, "-p", port, "-U", user, "-d", "postgres", "-c", "DROP DATABASE IF EXISTS "+dst+" WITH (FORCE)").Run() //nolint:errcheck // best effort
		})
	case "mysql":
		conn := fmt.Sprintf("--no-defaults -h %s -P %s -u %s", host, port, user)
		script = fmt.Sprintf("mariadb %[1]s -e 'CREATE DATABASE %[3]s' && mariadb-dump %[1]s --single-transaction --routines --triggers --events %[2]s | mariadb %[1]s %[3]s",
			conn, src, dst)
		b.Cleanup(func() {
			exec.Command("mariadb", "--no-defaults", "-h", host, "-P", port, "-u", user, "-e", "DROP DATABASE IF EXISTS "+dst).Run() //nolint:errcheck // best effort
		})
	}
	cmd := exec.Command("bash", "-c", "set -o pipefail; "+script)
	cmd.Env = os.Environ()
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%s: %v: %s", script, err, out)
	}
}
