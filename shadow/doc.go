// Package shadow builds a tenant's shadow: a copy of the tenant database
// (or schema) beside it on the same server, made while the application
// keeps reading and writing the tenant, kept up to date with what it
// writes, and checked equal to it under a short write freeze. It is the
// engine-level half of a shadow migration; migrating the shadow and
// switching the tenant to it are the caller's (see docs/shadow.md).
//
// # Phases
//
// Prepare names the shadow (Name: the tenant's name and "_herd_shadow",
// shortened with a hash where the engine's limit needs it), installs
// change capture on every table of the tenant but herd's own, then copies
// the tenant with the engine's Snapshotter, and removes from the copy the
// capture objects it took along, and marks it as the tenant's shadow
// (MarkerTable). CatchUp copies the rows whose keys were
// captured since, a batch at a time, and says how many changes remain.
// Freeze blocks the tenant's writes (not its reads) from a connection of
// its own, in short attempts until a timeout; under it, CatchUp catches up the rest
// and brings the shadow's key generators to the tenant's positions, and
// Verify compares every table's row count and checksum. Seal, under the
// freeze, makes the tenant refuse every write once the freeze ends (the
// cut-over), and on a server whose tenants swap names (Swaps) SwapNames
// gives the tenant's name to the shadow in the same commit. Abandon
// undoes everything; StopCapture removes the capture but keeps the
// shadow (for after a switch); Inspect says what a shadow migration left
// on the server, Resume reopens a shadow whose herd stopped, and Remove
// clears, by name, what one left behind.
//
// # Capture
//
// The capture is the engine's triggers (dialect.ChangeCapture): after
// every insert, update or delete of a row, the row's primary key, as a
// JSON array, goes into the tenant's table herd_shadow_changes with an
// increasing seq. An update records the old key, and the new one when the
// key changed. The triggers exist before the copy's snapshot is taken,
// and their installation waits for the transactions open on each table,
// so every write committed after the snapshot is captured, and one
// committed before is in the copy (or both: catching a row up twice is
// harmless, since CatchUp copies the row as the tenant has it now).
//
// A change is deleted from the capture table only once its row is in the
// shadow, and by its seq: a change committed late with a lower seq is
// still there for the next batch, and a herd killed between the copy of a
// batch and its deletion copies it again.
//
// # Concurrency
//
// A Shadow is used by one goroutine, except the release function Freeze
// returns. The caller holds the tenant's migration lock from before
// Prepare until the shadow is switched to or abandoned, so that no
// migration changes the tenant's schema meanwhile.
package shadow
