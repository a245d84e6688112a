// Package herdtest holds what herd's tests share: real-server DSNs from the
// environment, unique names for scratch databases, and a logger that writes
// to the test log.
package herdtest
