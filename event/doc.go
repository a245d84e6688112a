// Package event holds herd's typed events: what migrations, snapshots and
// rollouts tell the world. Progress bars, the JSON event stream, metrics,
// webhooks and the tests' fault injection all subscribe to the same values
// through a Sink; nothing parses log lines.
package event
