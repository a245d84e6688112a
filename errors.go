package herd

import (
	"errors"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/plan"
	"github.com/herdhq/herd/rollout"
	"github.com/herdhq/herd/source"
)

// InputError is a failure caused by what the caller asked for, not by a
// database: the CLI exits 2 on it.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// IsInputError reports whether err was caused by bad input: a malformed
// configuration or source, an unknown tenant or version, an invalid tenant
// code, a plan that policy refuses, or a tenant database that another
// fleet owns.
func IsInputError(err error) bool {
	var (
		in       *InputError
		problems *source.Error // also *config.Error: both are lists of file:line problems
		ref      *plan.RefusedError
		owner    *execute.OwnerError
	)
	return errors.As(err, &in) || errors.As(err, &problems) || errors.As(err, &ref) || errors.As(err, &owner) || rollout.IsInputError(err) ||
		errors.Is(err, control.ErrTenantNotFound) || errors.Is(err, control.ErrTenantExists)
}
