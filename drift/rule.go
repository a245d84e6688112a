package drift

import (
	"fmt"
	"path"
	"strings"
)

// Rule allows the differences of the objects whose names match a pattern:
// an agreed customisation. A rule on tables also allows every difference
// on a table it matches (its columns, keys, indexes and checks).
type Rule struct {
	// Object is the kind of object the rule is about.
	Object Object
	// Pattern matches the object's name as Difference.Name spells it
	// ("custom_*", "students.x_*", "*.house_colour"), with path.Match's
	// syntax: * matches any run of characters, ? one.
	Pattern string
	// Scope says whom the rule was declared for ("all", "tier
	// enterprise", "tenant st_marys_trust"), to name it.
	Scope string
}

// String names r as a classified difference shows it:
// "all: table custom_*".
func (r Rule) String() string {
	return fmt.Sprintf("%s: %s %s", r.Scope, r.Object, r.Pattern)
}

// Allows reports whether r allows d.
func (r Rule) Allows(d Difference) bool {
	if r.Object == Table && d.Table != "" {
		return match(r.Pattern, d.Table)
	}
	return r.Object == d.Object && match(r.Pattern, d.Name)
}

func match(pattern, name string) bool {
	ok, err := path.Match(pattern, strings.ReplaceAll(name, "/", "\x00"))
	return err == nil && ok
}

// Classify returns diffs with each difference that a rule allows marked
// as a customisation, naming the first rule that does.
func Classify(diffs []Difference, rules []Rule) []Difference {
	out := make([]Difference, len(diffs))
	for i, d := range diffs {
		d.Customisation = ""
		for _, r := range rules {
			if r.Allows(d) {
				d.Customisation = r.String()
				break
			}
		}
		out[i] = d
	}
	return out
}

// ExactRule is the rule that allows d's object and no other: d's kind of
// object (a table's for a missing or extra table) and its name, with
// path.Match's wildcards in it escaped. Its Scope is left empty.
func ExactRule(d Difference) Rule {
	escape := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`)
	return Rule{Object: d.Object, Pattern: escape.Replace(d.Name)}
}

// NamesReferenceTable reports whether r can name an object of schema s:
// a rule on what is on a table must name, before its dot, a table s
// has (one the tenant adds is covered whole by a rule on tables). Rules
// on tables and views name what a tenant adds, and always can.
func (r Rule) NamesReferenceTable(s Schema) bool {
	if r.Object == Table || r.Object == View {
		return true
	}
	table, _, _ := strings.Cut(r.Pattern, ".")
	for _, t := range s.Tables {
		if match(table, t.Name) {
			return true
		}
	}
	return false
}
