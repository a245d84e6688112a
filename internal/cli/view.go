package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/herdhq/herd"
)

// view is what a read-only command shows: a value read from the fleet,
// printed as JSON with --json, else drawn as a table.
type view[T any] struct {
	// read is a Fleet's read method, such as (*herd.Fleet).Status.
	read func(f *herd.Fleet, ctx context.Context) (T, error)
	// json returns what --json prints; nil prints the value itself.
	json   func(T) any
	render func(io.Writer, T)
}

// show opens the fleet, reads the view's value and prints it.
func show[T any](a *app, cmd *cobra.Command, asJSON bool, v view[T]) error {
	return a.withFleet(cmd.Context(), herd.Options{}, func(f *herd.Fleet) error {
		value, err := v.read(f, cmd.Context())
		if err != nil {
			return err
		}
		switch {
		case !asJSON:
			v.render(a.out, value)
			return nil
		case v.json != nil:
			return writeJSON(a.out, v.json(value))
		}
		return writeJSON(a.out, value)
	})
}
