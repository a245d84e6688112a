package sqlite

// NowMillisSQL is the SQLite clock in epoch milliseconds. Every process on
// the machine shares it: SQLite control files are local.
func (d *Dialect) NowMillisSQL() string {
	return "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
}
