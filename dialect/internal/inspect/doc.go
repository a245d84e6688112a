// Package inspect assembles the normalised table descriptions of
// dialect.Inspector from the flat rows that each engine's catalog queries
// return (one row per column, key part or constraint part), so that every
// engine groups, orders and names them the same way.
//
// It is internal to herd's dialects.
package inspect
