package postgres

// NowMillisSQL is the server's wall clock in epoch milliseconds;
// clock_timestamp, not now, so that a long transaction sees time pass.
func (d *Dialect) NowMillisSQL() string {
	return "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"
}
