// Package retry runs an operation again, with exponential backoff, until it
// succeeds or a bounded time has passed: how herd rides out a connection
// blip to a database instead of failing at its first error.
package retry
