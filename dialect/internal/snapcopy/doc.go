// Package snapcopy holds what the engines' snapshot code shares: checking
// the pair of names a copy goes between, refusing sources that hold
// objects a copy would lose, and creating objects that depend on one
// another (views on views) in an order that works.
//
// It is internal to herd's dialects.
package snapcopy
