// Package report renders a rollout's summary (herd.RolloutSummary) for
// people who were not watching it: a change-advisory board, a
// customer-success team. Each format has its own renderer: Markdown
// written by hand, CSV through encoding/csv (one long table a
// spreadsheet can filter), and HTML through html/template (one
// self-contained page). Render picks one by Format.
package report
