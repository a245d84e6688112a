package source_test

import (
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/dialect/postgres"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/source"
)

func TestChunkedMetadata(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"tenant/v1.0.0/001_backfill.up.sql": file("-- herd:chunked table=students key=id size=500 pause=100ms target=250ms\n" +
			"UPDATE students SET n = n + 1 WHERE id > :from AND id <= :to;"),
		"tenant/v1.0.0/002_plain.up.sql": file("-- herd:chunked table=t key=code\n-- herd:kind feature\nDELETE FROM t WHERE code > :FROM AND code <= :To;"),
	}
	src, err := source.Load(fsys, herdtest.SourceEngines(), nil)
	require.NoError(t, err)
	m := src.Find(source.Tenant, "v1.0.0/001_backfill")
	require.Equal(t, &source.Chunk{Table: "students", Key: "id", Size: 500, Pause: 100 * time.Millisecond, Target: 250 * time.Millisecond}, m.Chunk)
	require.Equal(t, source.Data, m.Kind, "a chunked migration is data unless it says otherwise")
	lo, hi := m.Chunk.ChunkBounds()
	require.Equal(t, []int{50, 5000}, []int{lo, hi})
	plain := src.Find(source.Tenant, "v1.0.0/002_plain")
	require.Equal(t, source.DefaultChunkSize, plain.Chunk.Size)
	require.Equal(t, source.Feature, plain.Kind)
	require.Nil(t, src.Find(source.Tenant, "v1.0.0/001_backfill").Go)
}

func TestChunkedProblems(t *testing.T) {
	t.Parallel()
	const up = "tenant/v1.0.0/001_a.up.sql"
	const good = "UPDATE t SET n = 1 WHERE id > :from AND id <= :to;"
	tests := []struct {
		name, body, want string
	}{
		{"no table", "-- herd:chunked key=id\n" + good, up + ":1: herd:chunked wants table=T key=K"},
		{"bad size", "-- herd:chunked table=t key=id size=0\n" + good, up + ":1: herd:chunked: size=0: want a whole number"},
		{"bad pause", "-- herd:chunked table=t key=id pause=soon\n" + good, up + ":1: herd:chunked: pause=soon: want a duration"},
		{"unknown key", "-- x\n-- herd:chunked table=t key=id speed=9\n" + good, up + `:2: herd:chunked: unknown key "speed"`},
		{"not an identifier", "-- herd:chunked table=t;drop key=id\n" + good, up + `:1: herd:chunked: table="t;drop" is not a plain identifier`},
		{"twice", "-- herd:chunked table=t key=id key=id\n" + good, up + ":1: herd:chunked: key given twice"},
		{"no-transaction", "-- herd:chunked table=t key=id\n-- herd:no-transaction\n" + good, up + ":1: herd:chunked runs each range in a transaction of its own"},
		{"two statements", "-- herd:chunked table=t key=id\n" + good + "\nUPDATE t SET n = 2;", up + ":3: herd:chunked migration holds 2 statements"},
		{"DDL", "-- herd:chunked table=t key=id\nALTER TABLE t ADD COLUMN x INT;", up + ":2: herd:chunked migration's statement must be a data statement"},
		{"no :from", "-- herd:chunked table=t key=id\n\nUPDATE t SET n = 1 WHERE id <= :to;", up + ":3: herd:chunked migration's statement does not use :from"},
		{"no :to", "-- herd:chunked table=t key=id\nUPDATE t SET n = 1 WHERE id > :from;", up + ":2: herd:chunked migration's statement does not use :to"},
		{":to only in a string", "-- herd:chunked table=t key=id\nUPDATE t SET s = ':to' WHERE id > :from /* :to */;", "does not use :to"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := source.Load(fstest.MapFS{up: file(tt.body)}, herdtest.SourceEngines(), nil)
			var bad *source.Error
			require.ErrorAs(t, err, &bad)
			require.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestChunkParams(t *testing.T) {
	t.Parallel()
	stmt := "UPDATE t SET c = c::text, s = ':from' WHERE id > :from AND id <= :to AND x = y::to -- :to\n"
	params, err := source.ChunkParams(postgres.New(), stmt)
	require.NoError(t, err)
	require.Len(t, params, 2)
	require.Equal(t, ":from", stmt[params[0].Pos:params[0].End])
	require.Equal(t, source.ParamFrom, params[0].Name)
	require.Equal(t, ":to", stmt[params[1].Pos:params[1].End])
}
