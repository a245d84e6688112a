package execute

import (
	"sync"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/internal/sqlsplit"
)

// Splits remembers how scripts split into statements, so that the
// sessions of a fleet split each migration's scripts once, not once per
// database. The zero value is ready to use; it is safe for concurrent use.
type Splits struct {
	m sync.Map // splitKey -> []sqlsplit.Statement
}

type splitKey struct{ engine, script string }

// split returns d's statements of script, split once per engine.
func (c *Splits) split(d dialect.Dialect, script string) ([]sqlsplit.Statement, error) {
	k := splitKey{d.Name(), script}
	if v, ok := c.m.Load(k); ok {
		return v.([]sqlsplit.Statement), nil
	}
	stmts, err := d.Split(script)
	if err != nil {
		return nil, err
	}
	c.m.Store(k, stmts)
	return stmts, nil
}
