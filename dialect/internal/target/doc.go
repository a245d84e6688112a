// Package target holds what the engine packages share about connection
// targets: parsing and redacting server DSNs, scrubbing their secrets from
// error messages, and checking the database (or schema) names herd creates.
//
// It is internal to herd's dialects: the engine packages call it so that a
// password is handled the same way on every engine.
package target
