// Package archtest holds the test of herd's package dependency rules
// (deps_test.go): which packages may import which, so that the arrows
// between them stay as the architecture draws them. It has no code of its
// own.
package archtest
