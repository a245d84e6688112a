package sqlsplit

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzSplit checks that Split never panics, that what it returns is well
// formed, and that splitting is stable: joining the statements of an
// accepted script with delimiters and splitting again gives the same
// statements.
func FuzzSplit(f *testing.F) {
	for i, fam := range families {
		paths, _ := filepath.Glob(filepath.Join("testdata", fam.String(), "*.sql"))
		for _, path := range paths {
			script, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(string(script), uint8(i))
		}
	}
	f.Add("SELECT 'a;b'; SELECT \"c;d\" -- e;\n/* f; */", uint8(0))
	f.Add("SELECT $$;$$; SELECT $1; E'\\';'", uint8(0))
	f.Add("SELECT 'it\\'s;'; # x;\n SELECT --x;\n", uint8(1))

	f.Fuzz(func(t *testing.T, script string, fam uint8) {
		family := families[int(fam)%len(families)]
		stmts, err := Split(script, family)
		lines := strings.Count(script, "\n") + 1
		if err != nil {
			var serr *Error
			if !errors.As(err, &serr) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if serr.Line < 1 || serr.Line > lines {
				t.Fatalf("error line %d outside 1..%d", serr.Line, lines)
			}
			return
		}
		prevLine := 1
		for i, s := range stmts {
			if s.SQL == "" || s.SQL != strings.Trim(s.SQL, spaceBytes) {
				t.Fatalf("statement %d %q is empty or untrimmed", i+1, s.SQL)
			}
			if s.Line < prevLine || s.Line > lines {
				t.Fatalf("statement %d line %d, previous %d, script has %d", i+1, s.Line, prevLine, lines)
			}
			prevLine = s.Line
		}

		// A DELIMITER command may have let statements hold ";", which a
		// rejoin with ";" would split; and a statement that is just "--"
		// (MySQL: "--;" is not a comment) turns into a comment before the
		// line break of the rejoin.
		if family == MySQL && strings.Contains(strings.ToUpper(script), "DELIMITER") {
			return
		}
		for _, s := range stmts {
			if family == MySQL && s.SQL == "--" {
				return
			}
		}
		// The line break ends a trailing line comment; the blank after ";"
		// keeps the next statement off the start of a line.
		var joined strings.Builder
		for _, s := range stmts {
			joined.WriteString(s.SQL + "\n; ")
		}
		again, err := Split(joined.String(), family)
		if err != nil {
			t.Fatalf("rejoined script fails: %v\n%s", err, joined.String())
		}
		if len(again) != len(stmts) {
			t.Fatalf("rejoined script has %d statements, want %d\n%s", len(again), len(stmts), joined.String())
		}
		for i := range stmts {
			if again[i].SQL != stmts[i].SQL {
				t.Fatalf("statement %d changed on rejoin:\n%q\n%q", i+1, stmts[i].SQL, again[i].SQL)
			}
		}
	})
}
