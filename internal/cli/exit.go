package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/herdhq/herd"
)

// The exit codes of herd, the same for every command (exitCodes is the
// table herd --help prints).
const (
	ExitOK      = 0 // done
	ExitFailure = 1 // a tenant or a database failed, or a rollout halted
	ExitInput   = 2 // bad input or usage; nothing was changed
	// ExitWaiting (3): work waits for a maintenance window, a pause or
	// after an interrupt (see rollout.go).
)

// exitCodes is the table of exit codes in herd --help and the README.
const exitCodes = `Exit codes (every command):
  0  done
  1  a tenant or a database failed, or a rollout halted or was aborted
     (with --all or --tenants, a tenant that was refused counts as failed
     once the run changed a database)
  2  bad input or usage: an unknown command or flag, a malformed herd.yaml or
     migration, a selector that matches no tenant, a plan policy refuses,
     a tenant database another environment's fleet owns; nothing was changed
  3  waiting: tenants wait for their maintenance window, the rollout is
     paused, or the run was interrupted; running it again carries on`

// exitCode maps how a command ended to the table of exitCodes.
func exitCode(err error) int {
	var (
		usage   *usageError
		waiting *waitingError
		failed  *herd.TenantsError
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &failed) && !failed.Refused():
		// Part of the fleet may have changed, or a tenant failed: a
		// tenant's refusal is then one tenant failing, not bad input.
		return ExitFailure
	case errors.As(err, &usage) || herd.IsInputError(err):
		return ExitInput
	case errors.As(err, &waiting):
		return ExitWaiting
	}
	return ExitFailure
}

// unknownCommand returns a usage error when args name a command herd does
// not have (cobra reports it as a plain error).
func unknownCommand(root *cobra.Command, args []string) error {
	_, _, err := root.Find(args)
	if err == nil {
		return nil
	}
	// Cobra lists its suggestions on lines of their own.
	lines := strings.Split(err.Error(), "\n")
	var suggestions []string
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, "\t") {
			suggestions = append(suggestions, strings.TrimSpace(l))
		}
	}
	msg := lines[0]
	if len(suggestions) > 0 {
		msg += "; did you mean " + strings.Join(suggestions, " or ") + "?"
	}
	return usagef("%s", msg)
}

// writeError prints err to w: its first line prefixed "herd: ", the lines
// after it (a list of file:line problems, or one error per tenant) as
// they are, so that editors still read FILE:LINE at their start.
func writeError(w io.Writer, err error) {
	for i, line := range errorLines(err) {
		if i == 0 {
			line = "herd: " + line
		}
		fmt.Fprintln(w, line)
	}
}

// errorLines renders err as lines of one error or problem each. A line
// that a driver indented continues the one before it (pgx lists each
// address it tried on its own indented line), so it is joined to it, once,
// with the cause kept. A "herd: " that an error already starts with is
// not repeated.
func errorLines(err error) []string {
	var lines []string
	for _, raw := range strings.Split(err.Error(), "\n") {
		line := strings.TrimSpace(raw)
		switch {
		case line == "":
		case len(lines) > 0 && (raw[0] == ' ' || raw[0] == '\t'):
			last := &lines[len(lines)-1]
			if strings.HasSuffix(*last, line) {
				continue // the same detail again, for another address
			}
			if strings.HasSuffix(*last, ":") {
				*last += " " + line
			} else {
				*last += "; " + line
			}
		default:
			lines = append(lines, strings.TrimPrefix(line, "herd: "))
		}
	}
	return lines
}

// waitingError ends a run that stopped with work left for later: exit 3.
type waitingError struct{ msg string }

func (e *waitingError) Error() string { return e.msg }
