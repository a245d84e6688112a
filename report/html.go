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

// htmlPage is the parsed HTML template; it is part of the binary, so a
// parse failure is a programming error. Safe for concurrent use.
var htmlPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"duration": duration,
	"more":     more,
	"join":     strings.Join,
}).Parse(htmlSource))

// page is what the HTML template reads.
type page struct {
	Title    string
	Period   string
	Summary  herd.RolloutSummary
	Outcomes []outcome
	Sections []causeSection
}

// writeHTML writes s as one self-contained HTML page (styles inline, no
// script), every value escaped by html/template.
func writeHTML(w io.Writer, s herd.RolloutSummary) error {
	return htmlPage.Execute(w, page{Title: title(s), Period: period(s.Rollout), Summary: s, Outcomes: outcomes(s), Sections: causeSections(s)})
}
