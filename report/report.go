package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/herdhq/herd"
)

// Format is a report's output format.
type Format string

// The formats Render writes.
const (
	Markdown Format = "md"
	CSV      Format = "csv"
	HTML     Format = "html"
)

// Formats returns every Format, in the order help text lists them.
func Formats() []Format { return []Format{Markdown, CSV, HTML} }

// ParseFormat returns the Format named s, or an *herd.InputError naming s
// and the formats there are.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats() {
		if string(f) == s {
			return f, nil
		}
	}
	names := make([]string, 0, len(Formats()))
	for _, f := range Formats() {
		names = append(names, string(f))
	}
	return "", &herd.InputError{Err: fmt.Errorf("report format %q: want one of %s", s, strings.Join(names, ", "))}
}

// Render writes s to w in format f. It returns w's error, or an
// *herd.InputError for a format it does not know.
func Render(w io.Writer, f Format, s herd.RolloutSummary) error {
	switch f {
	case Markdown:
		return writeMarkdown(w, s)
	case CSV:
		return writeCSV(w, s)
	case HTML:
		return writeHTML(w, s)
	}
	_, err := ParseFormat(string(f))
	return err
}

// outcomes are the rows of a report's outcome table: what happened to
// the rollout's tenants, in the order a reader asks.
func outcomes(s herd.RolloutSummary) []outcome {
	return []outcome{
		{"migrated", s.Migrated},
		{"already at the version", s.AlreadyCurrent},
		{"failed", s.Counts[herd.ItemFailed]},
		{"rolled back", s.Counts[herd.ItemRolledBack]},
		{"skipped", s.Counts[herd.ItemSkipped]},
		{"pending", s.Counts[herd.ItemPending]},
		{"running", s.Counts[herd.ItemRunning]},
		{"total", s.Tenants},
	}
}

// outcome is one row of the outcome table.
type outcome struct {
	Name  string
	Count int
}

// causeSection is one list of grouped causes in a report: its heading,
// what it says when there are none, and the causes.
type causeSection struct {
	Heading, None string
	Causes        []herd.Cause
}

// causeSections are a report's sections of grouped causes: the errors,
// then the skip reasons.
func causeSections(s herd.RolloutSummary) []causeSection {
	return []causeSection{
		{"Errors by cause", "No tenant failed.", s.Errors},
		{"Skipped, by reason", "No tenant was skipped.", s.Skips},
	}
}

// title names the rollout in a report's heading.
func title(s herd.RolloutSummary) string {
	return fmt.Sprintf("Rollout %d: %s", s.Rollout.ID, s.Rollout.Release)
}

// period says when the rollout was created and finished, in UTC.
func period(r herd.Rollout) string {
	out := "created " + stamp(r.CreatedAt)
	if r.StartAt != nil {
		out += ", scheduled for " + stamp(*r.StartAt)
	}
	if r.FinishedAt != nil {
		out += ", finished " + stamp(*r.FinishedAt) + " (" + r.FinishedAt.Sub(r.CreatedAt).Round(time.Second).String() + ")"
	}
	return out
}

// stamp renders t in UTC to the second.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// duration renders d to the millisecond.
func duration(d time.Duration) string { return d.Round(time.Millisecond).String() }
