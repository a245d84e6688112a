// Package sqlsplit cuts SQL migration scripts into statements, following the
// lexical rules of each engine family.
package sqlsplit
