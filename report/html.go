package report

import (
	_ "embed"
	"html/template"
	"io"
	"strings"

	"github.com/herdhq/herd"
)

//go:embed report.html.tmpl
var htmlSource string

// page is what the HTML template reads.
type page struct {
	Title    string
	Period   string
	Summary  herd.RolloutSummary
	Outcomes []outcome
	Sections []causeSection
}

// causeSection is one list of grouped causes on the page.
type causeSection struct {
	Heading, None string
	Causes        []herd.Cause
}

// writeHTML writes s as one self-contained HTML page (styles inline, no
// script), every value escaped by html/template.
func writeHTML(w io.Writer, s herd.RolloutSummary) error {
	t, err := template.New("report").Funcs(template.FuncMap{
		"duration": duration,
		"more":     more,
		"join":     strings.Join,
	}).Parse(htmlSource)
	if err != nil {
		return err
	}
	return t.Execute(w, page{
		Title: title(s), Period: period(s.Rollout), Summary: s, Outcomes: outcomes(s),
		Sections: []causeSection{
			{"Errors by cause", "No tenant failed.", s.Errors},
			{"Skipped, by reason", "No tenant was skipped.", s.Skips},
		},
	})
}
