package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/herdhq/herd"
)

// writeMarkdown writes s as GitHub-flavoured Markdown: a heading, the
// rollout's facts, then a table per section.
func writeMarkdown(w io.Writer, s herd.RolloutSummary) error {
	b := bufio.NewWriter(w)
	r := s.Rollout
	fmt.Fprintf(b, "# %s\n\n", mdText(title(s)))
	fmt.Fprintf(b, "- Status: %s", r.Status)
	if r.Reason != "" {
		fmt.Fprintf(b, " (%s)", mdText(r.Reason))
	}
	fmt.Fprintf(b, "\n- Tenant version: v%s\n", r.TenantVersion)
	if r.Selector != "" {
		fmt.Fprintf(b, "- Selector: `%s`\n", strings.ReplaceAll(r.Selector, "`", "'"))
	}
	fmt.Fprintf(b, "- When: %s\n\n", period(r))

	b.WriteString("## Tenants\n\n| outcome | tenants |\n|---|---:|\n")
	for _, o := range outcomes(s) {
		fmt.Fprintf(b, "| %s | %d |\n", o.Name, o.Count)
	}

	d := s.Durations
	fmt.Fprintf(b, "\n## Durations\n\nOf the %d tenants the rollout ran to an end.\n\n", d.Count)
	b.WriteString("| p50 | p95 | max |\n|---:|---:|---:|\n")
	fmt.Fprintf(b, "| %s | %s | %s |\n", duration(d.P50), duration(d.P95), duration(d.Max))

	b.WriteString("\n## Slowest tenants\n\n")
	if len(s.Slowest) == 0 {
		b.WriteString("None ran.\n")
	} else {
		b.WriteString("| tenant | wave | outcome | duration |\n|---|---|---|---:|\n")
		for _, t := range s.Slowest {
			fmt.Fprintf(b, "| %s | %s | %s | %s |\n", mdCell(t.Tenant), mdCell(t.Wave), t.State, duration(t.Duration))
		}
	}
	for _, sec := range causeSections(s) {
		mdCauses(b, sec)
	}
	return b.Flush()
}

// mdCauses writes one section of grouped causes.
func mdCauses(b *bufio.Writer, sec causeSection) {
	fmt.Fprintf(b, "\n## %s\n\n", sec.Heading)
	if len(sec.Causes) == 0 {
		b.WriteString(sec.None + "\n")
		return
	}
	b.WriteString("| tenants | cause | among them |\n|---:|---|---|\n")
	for _, c := range sec.Causes {
		fmt.Fprintf(b, "| %d | %s | %s |\n", c.Count, mdCell(c.Text), mdCell(strings.Join(c.Tenants, ", ")+more(c)))
	}
}

// more says how many tenants of c its list leaves out, if any.
func more(c herd.Cause) string {
	if n := c.Count - len(c.Tenants); n > 0 {
		return fmt.Sprintf(" and %d more", n)
	}
	return ""
}

// mdText escapes the characters that Markdown would read as markup in
// running text.
func mdText(s string) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "`", "\\`", "<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`, "\n", " ").Replace(s)
}

// mdCell is mdText for a table cell, where a pipe would end the cell.
func mdCell(s string) string { return strings.ReplaceAll(mdText(s), "|", `\|`) }
