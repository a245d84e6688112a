package shadow_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/internal/herdtest"
)

// figuresEnv sets the rows of the tenant TestShadowFigures measures; the
// test is skipped without it.
const figuresEnv = "HERD_SHADOW_ROWS"

// TestShadowFigures measures each phase on a tenant of HERD_SHADOW_ROWS
// pupils (and as many marks) while a writer changes it, and logs the
// times: it asserts nothing about them.
//
//	HERD_SHADOW_ROWS=100000 go test -run TestShadowFigures -v ./shadow/
func TestShadowFigures(t *testing.T) {
	rows, _ := strconv.Atoi(os.Getenv(figuresEnv))
	if rows <= 0 {
		t.Skipf("%s is not set", figuresEnv)
	}
	for _, e := range herdtest.Engines() {
		t.Run(e.Label, func(t *testing.T) {
			b := setup(t, e)
			for start := seeded + 1; start <= rows; start += 1000 {
				var pupils, marks []string
				for id := start; id < start+1000 && id <= rows; id++ {
					pupils = append(pupils, fmt.Sprintf("(%d, 'p%d@x', 'Pupil %d', %d)", id, id, id, id%100))
					marks = append(marks, fmt.Sprintf("(%d, 'math', %d)", id, id%90))
				}
				b.exec(t, "INSERT INTO pupils (id, email, name, score) VALUES "+strings.Join(pupils, ", "),
					"INSERT INTO marks (pupil_id, subject, score) VALUES "+strings.Join(marks, ", "))
			}
			b.rows = rows
			w := startWriter(b)
			w.waitOps(t, 20)
			start := time.Now()
			sh := b.prepare(t)
			prepare := time.Since(start)

			start = time.Now()
			caught, rounds := 0, 0
			for rounds < 1000 {
				remaining, err := sh.CatchUp(b.ctx)
				require.NoError(t, err)
				rounds++
				if remaining < 300 {
					break
				}
				caught += 300
			}
			catchup := time.Since(start)

			start = time.Now()
			release, err := sh.Freeze(b.ctx, patience)
			require.NoError(t, err)
			defer release() //nolint:errcheck // released below
			acquired := time.Since(start)
			for {
				remaining, err := sh.CatchUp(b.ctx)
				require.NoError(t, err)
				if remaining == 0 {
					break
				}
			}
			last := time.Since(start)
			require.NoError(t, sh.Verify(b.ctx))
			frozen := time.Since(start)
			require.NoError(t, release())
			ops := w.halt(t)
			t.Logf("%s, %d pupils + %d marks: prepare (capture + copy) %v; %d catch-up rounds (~%d changes) %v; "+
				"freeze acquired in %v, last catch-up done at %v, verified at %v (the write freeze); %d application writes in all",
				e.Label, rows, rows, prepare.Round(time.Millisecond), rounds, caught, catchup.Round(time.Millisecond),
				acquired.Round(time.Millisecond), last.Round(time.Millisecond), frozen.Round(time.Millisecond), ops)
			require.NoError(t, sh.Abandon(b.ctx))
		})
	}
}
