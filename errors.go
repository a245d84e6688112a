package herd

import (
	"errors"
	"fmt"
	"strings"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/internal/problem"
	"github.com/herdhq/herd/plan"
)

// InputError is a failure caused by what the caller asked for, not by a
// database: the CLI exits 2 on it. It is herd's one input-error type; the
// packages herd builds on (rollout, bench) return the same type.
type InputError = problem.InputError

// IsInputError reports whether err was caused by bad input: an
// *InputError, a malformed configuration or source, an unknown tenant,
// version or rollout, an invalid tenant code, a plan that policy refuses,
// a tenant database that another fleet owns, or a pending path that
// conflicts with a tenant's schema. It is the one predicate
// the CLI and the server map to their answer for bad input.
func IsInputError(err error) bool {
	var (
		in       *InputError
		problems *problem.List // *config.Error and *source.Error: lists of file:line problems
		ref      *plan.RefusedError
		owner    *execute.OwnerError
		conflict *ConflictError
	)
	return errors.As(err, &in) || errors.As(err, &problems) || errors.As(err, &ref) || errors.As(err, &owner) || errors.As(err, &conflict) ||
		errors.Is(err, control.ErrTenantNotFound) || errors.Is(err, control.ErrTenantExists) || errors.Is(err, control.ErrRolloutNotFound)
}

// TenantsError is what a fleet-wide migration returns when some of its
// tenants failed or were refused after it began: the system database and
// the other tenants may have changed, so it is a failure, not bad input,
// even when every tenant's error is a refusal. Errors lists each tenant's
// error, naming the tenant.
type TenantsError struct {
	// Failed and Total count the tenants that failed or were refused,
	// and the tenants the run was to migrate.
	Failed, Total int
	// Changed reports whether the run may have changed a database: it
	// migrated the system database, or a tenant did not fail.
	Changed bool
	Errors  []error
}

// tenantsError is the error of a fleet-wide run that started started of
// total tenants, errs of which failed.
func tenantsError(errs []error, total, started int, systemChanged bool) *TenantsError {
	return &TenantsError{Failed: len(errs), Total: total, Changed: systemChanged || len(errs) < started, Errors: errs}
}

// Refused reports whether the run changed nothing and every tenant was
// refused as bad input (IsInputError): then it is as if it never ran.
func (e *TenantsError) Refused() bool {
	if e.Changed {
		return false
	}
	for _, err := range e.Errors {
		if !IsInputError(err) {
			return false
		}
	}
	return true
}

func (e *TenantsError) Error() string {
	msgs := make([]string, 0, len(e.Errors)+1)
	msgs = append(msgs, fmt.Sprintf("%d of %d tenants failed or were refused:", e.Failed, e.Total))
	for _, err := range e.Errors {
		msgs = append(msgs, err.Error())
	}
	return strings.Join(msgs, "\n")
}

// Unwrap returns each tenant's error.
func (e *TenantsError) Unwrap() []error { return e.Errors }

// describeDirty gives a plan refused for a dirty migration the ledger's
// account of it (which statement it stopped at, and whether its outcome is
// unknown), which the operator needs to choose a repair.
func describeDirty(err error, entries []execute.Entry) error {
	var refused *plan.RefusedError
	if !errors.As(err, &refused) || refused.Reason != plan.Dirty {
		return err
	}
	for _, e := range entries {
		if e.ID == refused.Migration {
			refused.Msg = e.Describe() + "; run herd repair"
		}
	}
	return err
}
