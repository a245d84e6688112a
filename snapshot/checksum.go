package snapshot

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/herdhq/herd/dialect"
)

// checksumVersion starts every checksum's input, so that a change of the
// encoding changes every checksum.
const checksumVersion = "herd-checksum-v1"

// herdPrefix starts the names of herd's own tables in a tenant.
const herdPrefix = "herd_"

// Checksums returns table → checksum (hex sha256 over the rows in key order) for db, excluding herd's own tables
// (names starting with herd_).
//
// The checksums are computed as the package documentation describes; d
// must implement dialect.Inspector. Each table is read in its own query,
// so the checksums are consistent with one another only when nothing
// writes to db meanwhile. It fails on the first table it cannot read, and
// is safe for concurrent use.
func Checksums(ctx context.Context, d dialect.Dialect, db *dialect.Database) (map[string]string, error) {
	ins, err := inspector(d)
	if err != nil {
		return nil, err
	}
	tables, err := ins.Tables(ctx, db.DB, db)
	if err != nil {
		return nil, fmt.Errorf("snapshot: checksums of %q: %w", db.Name, err)
	}
	out := make(map[string]string, len(tables))
	for _, t := range tables {
		if strings.HasPrefix(t.Name, herdPrefix) {
			continue
		}
		sum, _, err := tableChecksum(ctx, d, db, t, columnNames(t.Columns))
		if err != nil {
			return nil, fmt.Errorf("snapshot: checksums of %q: %w", db.Name, err)
		}
		out[t.Name] = sum
	}
	return out, nil
}

func inspector(d dialect.Dialect) (dialect.Inspector, error) {
	ins, ok := d.(dialect.Inspector)
	if !ok {
		return nil, fmt.Errorf("snapshot: dialect %q cannot describe schemas (no dialect.Inspector)", d.Name())
	}
	return ins, nil
}

// columnNames returns the names of cols, sorted.
func columnNames(cols []dialect.Column) []string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	slices.Sort(names)
	return names
}

// tableChecksum hashes the columns cols of every row of t in db, in t's
// primary-key order, and counts the rows.
func tableChecksum(ctx context.Context, d dialect.Dialect, db *dialect.Database, t dialect.Table, cols []string) (string, int64, error) {
	fail := func(err error) (string, int64, error) {
		return "", 0, fmt.Errorf("table %q: %w", t.Name, err)
	}
	h := sha256.New()
	h.Write([]byte(checksumVersion))
	var frame []byte
	for _, c := range cols {
		frame = appendField(frame, []byte(c), false)
	}
	h.Write(frame)
	if len(cols) == 0 {
		return hex.EncodeToString(h.Sum(nil)), 0, nil
	}

	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = d.QuoteIdent(c)
	}
	query := "SELECT " + strings.Join(quoted, ", ") + " FROM " + dialect.Qualify(d, db, t.Name)
	if len(t.PrimaryKey) > 0 {
		keys := make([]string, len(t.PrimaryKey))
		for i, c := range t.PrimaryKey {
			keys[i] = d.QuoteIdent(c)
		}
		query += " ORDER BY " + strings.Join(keys, ", ")
	}
	// A prepared statement makes MySQL use its binary protocol, which
	// returns floating-point numbers exactly rather than as display text.
	stmt, err := db.DB.PrepareContext(ctx, query)
	if err != nil {
		return fail(err)
	}
	defer stmt.Close()
	rows, err := stmt.QueryContext(ctx)
	if err != nil {
		return fail(err)
	}
	defer rows.Close()

	values := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range values {
		ptrs[i] = &values[i]
	}
	var (
		n        int64
		unsorted [][]byte // rows of a table without a primary key
	)
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fail(err)
		}
		row := encodeRow(nil, values)
		if len(t.PrimaryKey) > 0 {
			h.Write(row)
		} else {
			unsorted = append(unsorted, row)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	slices.SortFunc(unsorted, bytes.Compare)
	for _, row := range unsorted {
		h.Write(row)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// encodeRow appends one row's framed encoding to buf: 'r', then each
// value's canonical form.
func encodeRow(buf []byte, values []any) []byte {
	buf = append(buf, 'r')
	for _, v := range values {
		text, null := canonical(v)
		buf = appendField(buf, text, null)
	}
	return buf
}

// appendField frames one value: 'n' for NULL, else 'v', its length and its
// bytes, so that no two sequences of values share an encoding.
func appendField(buf, text []byte, null bool) []byte {
	if null {
		return append(buf, 'n')
	}
	buf = append(buf, 'v')
	buf = binary.AppendUvarint(buf, uint64(len(text)))
	return append(buf, text...)
}

// canonical returns the normalised text of a value scanned from a driver
// into an any, and whether it is NULL. See the package documentation.
func canonical(v any) (text []byte, null bool) {
	switch x := v.(type) {
	case nil:
		return nil, true
	case []byte:
		return x, false
	case string:
		return []byte(x), false
	case int64:
		return strconv.AppendInt(nil, x, 10), false
	case int:
		return strconv.AppendInt(nil, int64(x), 10), false
	case int32:
		return strconv.AppendInt(nil, int64(x), 10), false
	case int16:
		return strconv.AppendInt(nil, int64(x), 10), false
	case int8:
		return strconv.AppendInt(nil, int64(x), 10), false
	case uint64:
		return strconv.AppendUint(nil, x, 10), false
	case uint32:
		return strconv.AppendUint(nil, uint64(x), 10), false
	case uint:
		return strconv.AppendUint(nil, uint64(x), 10), false
	case uint16:
		return strconv.AppendUint(nil, uint64(x), 10), false
	case uint8:
		return strconv.AppendUint(nil, uint64(x), 10), false
	case float64:
		return strconv.AppendFloat(nil, x, 'g', -1, 64), false
	case float32:
		return strconv.AppendFloat(nil, float64(x), 'g', -1, 32), false
	case bool:
		if x {
			return []byte("1"), false
		}
		return []byte("0"), false
	case time.Time:
		return x.UTC().AppendFormat(nil, time.RFC3339Nano), false
	}
	return fmt.Append(nil, v), false
}

// TableChecksum returns the checksum of table t of db (hex sha256 over
// its rows in primary-key order, as Checksums computes it) and its number
// of rows, for engines that cannot hash rows in SQL (SQLite). d must be
// db's dialect. It fails when the table cannot be read, and is safe for
// concurrent use.
func TableChecksum(ctx context.Context, d dialect.Dialect, db *dialect.Database, t dialect.Table) (sum string, rows int64, err error) {
	sum, rows, err = tableChecksum(ctx, d, db, t, columnNames(t.Columns))
	if err != nil {
		return "", 0, fmt.Errorf("snapshot: checksum of %q: %w", db.Name, err)
	}
	return sum, rows, nil
}
