// Package cli is herd's command line: cobra commands that parse flags, call
// the herd library and render to the writers they are given. It holds no
// global state, so tests run it in-process.
package cli
