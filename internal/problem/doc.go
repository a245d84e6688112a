// Package problem is the shape of herd's input errors: InputError, the one
// type of a failure caused by what the caller asked for, and List, every
// defect found in a file, each with its file and line, reported at once.
// herd, config and source expose these types under their own names.
package problem
