package postgres

// ReturningID returns the new row's id: pgx does not implement
// LastInsertId.
func (d *Dialect) ReturningID() string { return " RETURNING id" }
