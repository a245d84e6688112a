package mysql

// NowMillisSQL is the server's wall clock in epoch milliseconds; SYSDATE,
// not NOW, so that a long statement sees time pass.
func (d *Dialect) NowMillisSQL() string {
	return "CAST(UNIX_TIMESTAMP(SYSDATE(3)) * 1000 AS SIGNED)"
}
