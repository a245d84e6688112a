package postgres

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/internal/target"
)

var _ dialect.SchemaDumper = (*Server)(nil)

// sequencesSQL lists the positions of the sequences of schema $1.
const sequencesSQL = `SELECT sequencename, COALESCE(last_value::text, 'not called') FROM pg_catalog.pg_sequences
WHERE schemaname = $1 ORDER BY sequencename`

// SchemaDump returns `pg_dump --schema-only` of tenant name (of its schema
// with schema-per-tenant tenancy) without its comment lines and its
// per-dump \restrict key, followed by
// the position of each of the tenant's sequences. The tenant's own name,
// which a schema dump quotes, is replaced by "<tenant>".
func (s *Server) SchemaDump(ctx context.Context, name string) (string, error) {
	fail := func(err error) (string, error) {
		return "", fmt.Errorf("postgres: dump the schema of %s %q on server %q: %w", s.kind(), name, s.name, s.dsn.Scrub(err))
	}
	if err := target.CheckName(name, MaxNameLength); err != nil {
		return fail(err)
	}
	var (
		out    bytes.Buffer
		cmd    = s.dump(name, "--schema-only")
		schema = databaseSchema
		q      interface {
			QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
		} = s.admin
	)
	if s.tenancy == dialect.SchemaPerTenant {
		cmd, schema = s.dump(s.config.Database, "--schema-only", "--schema="+quoteIdent(name)), name
	} else {
		conn, closeConn, err := s.connectTo(ctx, name)
		if err != nil {
			return fail(err)
		}
		defer closeConn()
		q = conn
	}
	if err := s.run(ctx, cmd, nil, &out); err != nil {
		return fail(err)
	}
	var b strings.Builder
	for _, line := range strings.Split(out.String(), "\n") {
		// Comments carry pg_dump's version; \restrict and \unrestrict
		// a random key per dump.
		if strings.HasPrefix(line, "--") || strings.HasPrefix(line, `\restrict `) || strings.HasPrefix(line, `\unrestrict `) {
			continue
		}
		b.WriteString(strings.ReplaceAll(line, quoteIdent(name), `"<tenant>"`))
		b.WriteByte('\n')
	}
	rows, err := q.QueryContext(ctx, sequencesSQL, schema)
	if err != nil {
		return fail(err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq, pos string
		if err := rows.Scan(&seq, &pos); err != nil {
			return fail(err)
		}
		fmt.Fprintf(&b, "-- sequence %s at %s\n", quoteIdent(seq), pos)
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	return b.String(), nil
}
