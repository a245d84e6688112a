package mysql

import (
	"bytes"
	"context"
	"strings"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/internal/dumptool"
	"github.com/herdhq/herd/dialect/internal/target"
)

var _ dialect.SchemaDumper = (*Server)(nil)

// SchemaDump returns `mariadb-dump --no-data --routines --triggers
// --events --skip-comments` of database name (tables with their
// AUTO_INCREMENT positions, views, routines, triggers and events, with
// their definers), with the database's own name replaced by "<tenant>".
func (s *Server) SchemaDump(ctx context.Context, name string) (string, error) {
	if err := target.CheckName(name, MaxNameLength); err != nil {
		return "", s.fail("dump the schema of", name, err)
	}
	var out bytes.Buffer
	if err := dumptool.RunTo(ctx, s.dump(name, "--no-data", "--skip-comments"), nil, &out); err != nil {
		return "", s.fail("dump the schema of", name, err)
	}
	return strings.ReplaceAll(out.String(), quoteIdent(name), "`<tenant>`"), nil
}
