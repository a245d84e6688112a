package problem

// InputError is a failure caused by what the caller asked for, not by a
// database: a request that cannot be carried out as asked, which no
// second try mends. It is herd's one input-error type: the herd package
// exports it as herd.InputError, the packages below herd return it
// directly, and the CLI (exit 2) and the server (400) each map it in one
// place.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *InputError) Unwrap() error { return e.Err }
