package source

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Chunk is what a chunked data migration declares on its up file's
// herd:chunked line:
//
//	-- herd:chunked table=students key=id size=10000 pause=100ms target=250ms
//
// herd then runs the file's one statement once per range of Key (keys
// above :from up to :to), each range in a transaction of its own that also
// records the range as done, so that an interrupted run resumes at the
// first range not committed.
type Chunk struct {
	// Table and Key name the table walked and its key column, as the
	// database's catalog stores them (unquoted, case as stored).
	Table, Key string
	// Size is how many keys the first range holds; default DefaultChunkSize.
	Size int
	// Pause is slept between two ranges; default none.
	Pause time.Duration
	// Target, if set, is how long one range should take: the size adapts
	// toward it (see ChunkBounds). Zero keeps Size.
	Target time.Duration
}

// DefaultChunkSize is the keys of a range when herd:chunked names no size.
const DefaultChunkSize = 1000

// ChunkBounds are the least and most keys a range of c may hold while its
// size adapts toward c.Target: a tenth of Size (at least 1) to ten times
// Size.
func (c Chunk) ChunkBounds() (lo, hi int) {
	return max(1, c.Size/10), c.Size * 10
}

// ident is a table or column name herd:chunked accepts.
var ident = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]*$`)

// parseChunk reads the value of a herd:chunked line, or returns a problem
// message.
func parseChunk(value string) (*Chunk, string) {
	const want = "herd:chunked wants table=T key=K [size=N] [pause=D] [target=D]"
	c := &Chunk{Size: DefaultChunkSize}
	seen := map[string]bool{}
	for _, field := range strings.Fields(value) {
		k, v, ok := strings.Cut(field, "=")
		if !ok || v == "" {
			return nil, fmt.Sprintf("herd:chunked: %q is not key=value; %s", field, want)
		}
		if seen[k] {
			return nil, fmt.Sprintf("herd:chunked: %s given twice", k)
		}
		seen[k] = true
		switch k {
		case "table", "key":
			if !ident.MatchString(v) {
				return nil, fmt.Sprintf("herd:chunked: %s=%q is not a plain identifier (letters, digits, _ and $)", k, v)
			}
			if k == "table" {
				c.Table = v
			} else {
				c.Key = v
			}
		case "size":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > MaxChunkSize {
				return nil, fmt.Sprintf("herd:chunked: size=%s: want a whole number from 1 to %d", v, MaxChunkSize)
			}
			c.Size = n
		case "pause", "target":
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return nil, fmt.Sprintf("herd:chunked: %s=%s: want a duration such as 100ms or 2s", k, v)
			}
			if k == "pause" {
				c.Pause = d
			} else {
				c.Target = d
			}
		default:
			return nil, fmt.Sprintf("herd:chunked: unknown key %q; %s", k, want)
		}
	}
	if c.Table == "" || c.Key == "" {
		return nil, want
	}
	return c, ""
}

// MaxChunkSize is the largest size herd:chunked accepts.
const MaxChunkSize = 1_000_000

// The markers a chunked statement holds, replaced by the bounds of each
// range: keys above :from and up to :to.
const (
	ParamFrom = "from"
	ParamTo   = "to"
)

// Param is one :from or :to marker of a chunked statement.
type Param struct {
	// Name is ParamFrom or ParamTo.
	Name string
	// Pos and End are the byte offsets of the marker's colon and of the
	// byte after its name.
	Pos, End int
}

// ChunkParams returns the :from and :to markers of stmt, in order, as e's
// lexical rules read it: markers in strings, quoted names or comments do
// not count, nor does a PostgreSQL cast (x::to).
func ChunkParams(e Engine, stmt string) ([]Param, error) {
	toks, err := e.Tokens(stmt)
	if err != nil {
		return nil, err
	}
	var out []Param
	for i := 0; i+1 < len(toks); i++ {
		colon, name := toks[i], toks[i+1]
		if colon.Punct != ':' || name.Pos != colon.Pos+1 || i > 0 && toks[i-1].Punct == ':' && toks[i-1].Pos == colon.Pos-1 {
			continue
		}
		if n := strings.ToLower(name.Word); n == ParamFrom || n == ParamTo {
			out = append(out, Param{Name: n, Pos: colon.Pos, End: name.Pos + len(n)})
		}
	}
	return out, nil
}

// BindChunk replaces the :from and :to markers of stmt, as e reads it,
// by placeholder(1), placeholder(2), … in order (one per marker, so that
// positional placeholders work), and returns the statement with the
// markers' names in the order of their placeholders.
func BindChunk(e Engine, placeholder func(n int) string, stmt string) (string, []string, error) {
	params, err := ChunkParams(e, stmt)
	if err != nil {
		return "", nil, err
	}
	var b strings.Builder
	names := make([]string, len(params))
	last := 0
	for i, p := range params {
		b.WriteString(stmt[last:p.Pos])
		b.WriteString(placeholder(i + 1))
		last = p.End
		names[i] = p.Name
	}
	b.WriteString(stmt[last:])
	return b.String(), names, nil
}

// chunkDML are the statements a chunked migration may run.
var chunkDML = []string{"UPDATE", "DELETE", "INSERT", "REPLACE", "MERGE", "WITH"}

// checkChunked reports what makes script unfit to run chunked by e: it
// must hold one data statement that uses both :from and :to.
func (l *loader) checkChunked(s Script, e Engine, c *Chunk) {
	stmts, err := e.Split(s.SQL)
	if err != nil || len(stmts) == 0 {
		return // checkScripts reports it
	}
	if len(stmts) > 1 {
		l.problem(s.File, stmts[1].Line, "herd:chunked migration holds %d statements; it must hold exactly one (as %s)", len(stmts), e.Name())
		return
	}
	st := stmts[0]
	toks, err := e.Tokens(st.SQL)
	if err != nil {
		return // checkScripts reports it
	}
	if len(toks) == 0 || !slices.Contains(chunkDML, toks[0].Word) {
		l.problem(s.File, st.Line, "herd:chunked migration's statement must be a data statement (%s), not DDL or anything else", strings.Join(chunkDML, ", "))
		return
	}
	params, _ := ChunkParams(e, st.SQL) // it tokenised above
	for _, want := range []string{ParamFrom, ParamTo} {
		if !slices.ContainsFunc(params, func(p Param) bool { return p.Name == want }) {
			l.problem(s.File, st.Line, "herd:chunked migration's statement does not use :%s; it must bound the key by :from and :to (e.g. %s > :from AND %s <= :to)", want, c.Key, c.Key)
		}
	}
}

// goChunk checks a Go migration's Chunk and returns it with its defaults
// applied, or a problem message; nil when the migration is not chunked.
func goChunk(g GoMigration) (*Chunk, string) {
	if g.Chunk == nil {
		return nil, ""
	}
	c := *g.Chunk
	if c.Size == 0 {
		c.Size = DefaultChunkSize
	}
	switch {
	case g.NoTransaction:
		return nil, "a chunked Go migration cannot be NoTransaction: each range is a transaction"
	case !ident.MatchString(c.Table) || !ident.MatchString(c.Key):
		return nil, fmt.Sprintf("Chunk: table %q and key %q must be plain identifiers (letters, digits, _ and $)", c.Table, c.Key)
	case c.Size < 1 || c.Size > MaxChunkSize:
		return nil, fmt.Sprintf("Chunk: size %d: want 1 to %d", c.Size, MaxChunkSize)
	case c.Pause < 0 || c.Target < 0:
		return nil, "Chunk: pause and target must not be negative"
	}
	return &c, ""
}
