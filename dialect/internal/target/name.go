package target

import "fmt"

// CheckName reports whether name can be a tenant database (or schema) name
// on an engine whose names are at most max bytes long: non-empty, at most
// max long, and made of a-z, 0-9 and _ only, as herd renders them from a
// tenant-name template. The error says which rule name breaks.
func CheckName(name string, max int) error {
	if name == "" {
		return fmt.Errorf("invalid name: empty")
	}
	if len(name) > max {
		return fmt.Errorf("invalid name %q: %d characters, the engine's limit is %d", name, len(name), max)
	}
	for i, c := range name {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return fmt.Errorf("invalid name %q: character %q at %d (only a-z, 0-9 and _ are allowed)", name, c, i+1)
		}
	}
	return nil
}
