package target

import (
	"errors"
	"strings"
)

// ScrubError returns err with every non-empty secret masked in its message.
// See DSN.Scrub.
func ScrubError(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := scrub(msg, secrets)
	if clean == msg {
		return err
	}
	return &scrubbedError{msg: clean, orig: err}
}

func scrub(msg string, secrets []string) string {
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, Mask)
		}
	}
	return msg
}

// scrubbedError stands for an error whose message held a secret. It keeps
// the original only to answer errors.Is, never to print or unwrap it.
type scrubbedError struct {
	msg  string
	orig error
}

func (e *scrubbedError) Error() string { return e.msg }

func (e *scrubbedError) Is(target error) bool { return errors.Is(e.orig, target) }
