package server

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
)

// consoleFiles are the console's templates and static assets, built into
// the binary.
//
//go:embed console
var consoleFiles embed.FS

// staticFS is the console's stylesheet and script, served under /static/.
func staticFS() fs.FS {
	sub, err := fs.Sub(consoleFiles, "console")
	if err != nil { // the directory is embedded above
		panic(err)
	}
	return sub
}

// view is what every console page renders: its title, who is signed in
// and the page's own data.
type view struct {
	Title string
	Who   principal
	// Nav names the section the page belongs to, for the menu.
	Nav  string
	Body any
}

// Operator reports whether the viewer of the page may act.
func (v view) Operator() bool { return v.Who.role >= Operator }

// User is the name of who is signed in.
func (v view) User() string { return v.Who.name }

// Role is the role of who is signed in.
func (v view) Role() string { return v.Who.role.String() }

// SignedIn reports whether the page's viewer has a session to sign out of.
func (v view) SignedIn() bool { return v.Who.session != nil }

// CSRF is the form token of the viewer's session, "" without one.
func (v view) CSRF() string {
	if v.Who.session == nil {
		return ""
	}
	return v.Who.session.csrf
}

// pages are the console's parsed templates, one set per page.
type pages struct {
	byName map[string]*template.Template
}

// pageNames are the console's pages: each is templates/NAME.html, which
// defines "content" for templates/layout.html.
var pageNames = []string{"error", "login", "overview", "tenants", "tenant", "rollouts", "rollout", "confirm", "releases", "audit"}

// mustParsePages parses the embedded templates; they are part of the
// binary, so a failure is a programming error.
func mustParsePages() *pages {
	p := &pages{byName: map[string]*template.Template{}}
	base := template.Must(template.New("layout.html").Funcs(templateFuncs).ParseFS(consoleFiles, "console/templates/layout.html", "console/templates/parts.html"))
	for _, name := range pageNames {
		p.byName[name] = template.Must(template.Must(base.Clone()).ParseFS(consoleFiles, "console/templates/"+name+".html"))
	}
	return p
}

// render writes page name with v as the response, status.
func (p *pages) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	var buf bytes.Buffer
	if err := p.byName[name].ExecuteTemplate(&buf, "layout.html", v); err != nil {
		http.Error(w, "render "+name+": "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'")
	w.WriteHeader(status)
	w.Write(buf.Bytes()) //nolint:errcheck // the client went away; nothing to do
}

// fragment renders template name of page alone, for live updates.
func (p *pages) fragment(page, name string, v view) ([]byte, error) {
	var buf bytes.Buffer
	if err := p.byName[page].ExecuteTemplate(&buf, name, v); err != nil {
		return nil, fmt.Errorf("render %s of %s: %w", name, page, err)
	}
	return buf.Bytes(), nil
}

// templateFuncs are the helpers the templates call.
var templateFuncs = template.FuncMap{
	"ms":      formatMS,
	"when":    formatWhen,
	"percent": percent,
	"states":  herd.ItemStates,
	"join":    func(s []string) string { return strings.Join(s, ", ") },
	"waveBar": waveBar,
	"clock":   formatClock,
	"statuses": func() []string {
		return stateNames(control.Statuses())
	},
	"rolloutStatuses": func() []string {
		return stateNames(control.RolloutStatuses())
	},
	"version": func(v string) string {
		if v == "" {
			return "—"
		}
		return "v" + strings.TrimPrefix(v, "v")
	},
}

// formatMS renders a duration in milliseconds for people: "850 ms",
// "12.4 s", "3m5s".
func formatMS(ms int64) string {
	d := time.Duration(ms) * time.Millisecond
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", ms)
	case d < time.Minute:
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return d.Round(time.Second).String()
}

// formatWhen renders a time in UTC to the second; "—" for none.
func formatWhen(t any) string {
	switch t := t.(type) {
	case time.Time:
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	case *time.Time:
		if t != nil {
			return t.UTC().Format("2006-01-02 15:04:05 UTC")
		}
	}
	return "—"
}

// formatClock renders a time of day in UTC to the second, "—" for none:
// an ETA.
func formatClock(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return t.UTC().Format("15:04:05")
}

// percent is part of whole in percent, for a bar's width; 0 of nothing.
func percent(part, whole int) float64 {
	if whole <= 0 {
		return 0
	}
	return float64(part) * 100 / float64(whole)
}

// bar is a stacked bar of counts: one segment per state, as wide as its
// share of the total.
type bar struct {
	Label    string
	Segments []segment
}

// segment is one state's part of a bar, in percent of its width.
type segment struct {
	State string
	N     int
	X, W  float64
}

// newBar draws counts, in the order of states, as a bar labelled label
// whose full width stands for whole (0: the counts' total).
func newBar(label string, states []string, counts map[string]int, whole int) bar {
	total := 0
	for _, st := range states {
		total += counts[st]
	}
	if whole > 0 {
		total = whole
	}
	b := bar{Label: label}
	x := 0.0
	for _, st := range states {
		if n := counts[st]; n > 0 {
			w := percent(n, total)
			b.Segments = append(b.Segments, segment{State: st, N: n, X: x, W: w})
			x += w
		}
	}
	return b
}

// barStates are a wave's states in the order its bar draws them: what
// is finished from the left, what is still open on the right.
var barStates = []herd.ItemState{control.ItemDone, control.ItemSkipped, control.ItemFailed, control.ItemRolledBack, control.ItemRunning, control.ItemPending}

// waveBar draws a wave's tenants by state.
func waveBar(w herd.WatchedWave) bar {
	states := stateNames(barStates)
	counts := map[string]int{}
	for _, st := range barStates {
		counts[string(st)] = w.Counts[st]
	}
	return newBar(fmt.Sprintf("wave %s: %d of %d finished", w.Name, w.Finished(), w.Tenants), states, counts, 0)
}

// stateNames returns states as strings, for a form's choices.
func stateNames[S ~string](states []S) []string {
	out := make([]string, len(states))
	for i, st := range states {
		out[i] = string(st)
	}
	return out
}
