package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// AddTenantCustomisations returns herd.yaml's text src with rules added to
// customisations.tenants.<tenant> (each rule's Object and Pattern; Scope
// and Line are ignored), creating the sections it lacks. It edits the text
// where the rules go and leaves every other byte as it was: a round trip
// through yaml.v3's node tree would keep comments but drop blank lines and
// respace flow collections and line comments. A block list gets one
// "- {object: "pattern"}" line per rule after its last item; a flow list
// or mapping gets them before its closing bracket; a new tenant is one
// line "tenant: [...]" after the last of the others. It fails when src is
// not YAML, when a section it must extend is neither a mapping nor a list
// (a scalar, an alias), or when the result does not read back with the
// rules in place.
func AddTenantCustomisations(src []byte, tenant string, rules []Customisation) ([]byte, error) {
	if len(rules) == 0 {
		return src, nil
	}
	e := &edit{src: src}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("read herd.yaml: %w", err)
	}
	items := make([]string, len(rules))
	for i, r := range rules {
		items[i] = "{" + r.Object + ": " + quote(r.Pattern) + "}"
	}
	key := yamlKey(tenant)

	root := &yaml.Node{Kind: yaml.MappingNode}
	if len(doc.Content) > 0 && !isNull(doc.Content[0]) {
		root = doc.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, errors.New("herd.yaml is not a mapping")
	}
	if err := e.add(root, tenant, key, items); err != nil {
		return nil, err
	}
	return e.check(tenant, rules)
}

// add inserts the rule texts items for tenant (written key) into root,
// herd.yaml's mapping.
func (e *edit) add(root *yaml.Node, tenant, key string, items []string) error {
	list := "[" + strings.Join(items, ", ") + "]"
	custKey, cust := lookup(root, "customisations")
	switch {
	case cust == nil:
		e.append("customisations:\n  tenants:\n    " + key + ": " + list + "\n")
		return nil
	case empty(cust):
		return e.afterKey(custKey, " {tenants: {"+key+": "+list+"}}")
	case cust.Kind != yaml.MappingNode:
		return fmt.Errorf("customisations (line %d) is not a mapping", cust.Line)
	}
	tenantsKey, tenants := lookup(cust, "tenants")
	switch {
	case tenants == nil && flow(cust):
		return e.insertFlow(cust, "tenants: {"+key+": "+list+"}")
	case tenants == nil:
		return e.afterLast(cust, "tenants:\n"+strings.Repeat(" ", cust.Column+1)+key+": "+list)
	case empty(tenants):
		return e.afterKey(tenantsKey, " {"+key+": "+list+"}")
	case tenants.Kind != yaml.MappingNode:
		return fmt.Errorf("customisations.tenants (line %d) is not a mapping", tenants.Line)
	}
	codeKey, code := lookup(tenants, tenant)
	switch {
	case code == nil && flow(tenants):
		return e.insertFlow(tenants, key+": "+list)
	case code == nil:
		return e.afterLast(tenants, key+": "+list)
	case empty(code):
		return e.afterKey(codeKey, " "+list)
	case code.Kind != yaml.SequenceNode:
		return fmt.Errorf("customisations.tenants.%s (line %d) is not a list of rules", tenant, code.Line)
	case flow(code):
		return e.insertFlow(code, strings.Join(items, ", "))
	}
	return e.afterLast(code, strings.Join(items, "\n"+strings.Repeat(" ", code.Column-1)+"- "))
}

// empty reports a key written with no value.
func empty(n *yaml.Node) bool { return isNull(n) && n.Value == "" }

// flow reports a collection written in flow style ([…], {…}).
func flow(n *yaml.Node) bool { return n.Style&yaml.FlowStyle != 0 }

// plainKey is a mapping key that needs no quotes.
var plainKey = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)

func yamlKey(s string) string {
	if plainKey.MatchString(s) {
		return s
	}
	return quote(s)
}

// quote writes s as a YAML double-quoted scalar (JSON's string syntax is
// YAML's).
func quote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// lookup returns the key and value of name in mapping m, or nils.
func lookup(m *yaml.Node, name string) (key, val *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == name {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// edit is herd.yaml's text being edited.
type edit struct{ src []byte }

func (e *edit) lineStart(line int) int {
	off := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(e.src[off:], '\n')
		if i < 0 {
			return len(e.src)
		}
		off += i + 1
	}
	return off
}

// offset is the byte offset of line and column (both from 1, the column
// in characters).
func (e *edit) offset(line, column int) int {
	off := e.lineStart(line)
	for c := 1; c < column && off < len(e.src) && e.src[off] != '\n'; c++ {
		_, size := utf8.DecodeRune(e.src[off:])
		off += size
	}
	return off
}

// closing is the offset of the bracket that closes the one at open,
// skipping quoted scalars and comments.
func (e *edit) closing(open int) (int, error) {
	depth := 0
	for i := open; i < len(e.src); i++ {
		switch c := e.src[i]; c {
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				return i, nil
			}
		case '\'':
			for i++; i < len(e.src); i++ {
				if e.src[i] == '\'' {
					if i+1 < len(e.src) && e.src[i+1] == '\'' {
						i++
						continue
					}
					break
				}
			}
		case '"':
			for i++; i < len(e.src) && e.src[i] != '"'; i++ {
				if e.src[i] == '\\' {
					i++
				}
			}
		case '#':
			if i > 0 && (e.src[i-1] == ' ' || e.src[i-1] == '\t') {
				for i < len(e.src) && e.src[i] != '\n' {
					i++
				}
			}
		}
	}
	return 0, errors.New("unclosed flow collection")
}

// endLine is the last line of n's text.
func (e *edit) endLine(n *yaml.Node) (int, error) {
	switch {
	case (n.Kind == yaml.SequenceNode || n.Kind == yaml.MappingNode) && n.Style&yaml.FlowStyle != 0:
		end, err := e.closing(e.offset(n.Line, n.Column))
		if err != nil {
			return 0, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return bytes.Count(e.src[:end], []byte("\n")) + 1, nil
	case len(n.Content) > 0 && n.Kind != yaml.AliasNode:
		return e.endLine(n.Content[len(n.Content)-1])
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return n.Line + strings.Count(strings.TrimSuffix(n.Value, "\n"), "\n") + 1, nil
	}
	return n.Line, nil
}

// insert puts text at offset.
func (e *edit) insert(at int, text string) {
	e.src = slices.Concat(e.src[:at:at], []byte(text), e.src[at:])
}

// append adds text at the end of the file, on a line of its own.
func (e *edit) append(text string) {
	if len(e.src) > 0 && e.src[len(e.src)-1] != '\n' {
		text = "\n" + text
	}
	e.insert(len(e.src), text)
}

// afterLast writes text on a new line after the last line of block
// collection n, indented as n's items are.
func (e *edit) afterLast(n *yaml.Node, text string) error {
	last, err := e.endLine(n)
	if err != nil {
		return err
	}
	indent := strings.Repeat(" ", n.Column-1)
	if n.Kind == yaml.SequenceNode {
		text = "- " + text
	}
	at := e.lineStart(last + 1)
	text = indent + text + "\n"
	if at == len(e.src) && len(e.src) > 0 && e.src[len(e.src)-1] != '\n' {
		text = "\n" + text
	}
	e.insert(at, text)
	return nil
}

// insertFlow adds text as the last item of flow collection n.
func (e *edit) insertFlow(n *yaml.Node, text string) error {
	end, err := e.closing(e.offset(n.Line, n.Column))
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	at := end
	for at > 0 && strings.ContainsRune(" \t\r\n", rune(e.src[at-1])) {
		at--
	}
	if len(n.Content) > 0 {
		text = ", " + text
	}
	e.insert(at, text)
	return nil
}

// afterKey writes text right after the colon that follows mapping key k.
func (e *edit) afterKey(k *yaml.Node, text string) error {
	start := e.offset(k.Line, k.Column)
	end := bytes.IndexByte(e.src[start:], '\n')
	if end < 0 {
		end = len(e.src) - start
	}
	colon := bytes.LastIndexByte(e.src[start:start+end], ':')
	if hash := bytes.Index(e.src[start:start+end], []byte(" #")); hash >= 0 {
		colon = bytes.LastIndexByte(e.src[start:start+hash], ':')
	}
	if colon < 0 {
		return fmt.Errorf("line %d: no colon after key %q", k.Line, k.Value)
	}
	e.insert(start+colon+1, text)
	return nil
}

// check reads the edited text back and returns it when tenant's rules
// include every rule added.
func (e *edit) check(tenant string, rules []Customisation) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(e.src, &doc); err != nil {
		return nil, fmt.Errorf("herd.yaml with the rules added does not read back: %w", err)
	}
	p := &parser{problems: problems{file: "herd.yaml"}}
	var c Customisations
	if len(doc.Content) > 0 {
		if _, n := lookup(deref(doc.Content[0]), "customisations"); n != nil {
			c = p.customisations(n)
		}
	}
	if err := p.err(); err != nil {
		return nil, fmt.Errorf("herd.yaml with the rules added: %w", err)
	}
	for _, r := range rules {
		if !slices.ContainsFunc(c.Tenants[tenant], func(got Customisation) bool {
			return got.Object == r.Object && got.Pattern == r.Pattern
		}) {
			return nil, fmt.Errorf("herd.yaml with the rules added lacks %s %s for tenant %s", r.Object, r.Pattern, tenant)
		}
	}
	return e.src, nil
}
