package config

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// redacted stands in for a password wherever a DSN is shown.
const redacted = "xxxxx"

// The engines a DSN's scheme names.
const (
	engineSQLite   = "sqlite"
	enginePostgres = "postgres"
	engineMySQL    = "mysql"
)

// Engines returns the names of the engines a DSN's scheme may name, in
// the order herd lists them: sqlite, postgres, mysql. They are the names
// of herd's dialects, and so the suffixes a migration file may carry
// (004_x.postgres.up.sql) whichever engines a program wires.
func Engines() []string { return []string{engineSQLite, enginePostgres, engineMySQL} }

// Engine returns the engine a DSN's scheme names ("sqlite", "postgres" or
// "mysql", the names of herd's dialects), or "" when the scheme is not one
// herd knows.
func Engine(dsn string) string {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		return engineSQLite
	case strings.HasPrefix(dsn, "postgres://"):
		return enginePostgres
	case strings.HasPrefix(dsn, "mysql://"):
		return engineMySQL
	}
	return ""
}

// SQLitePath returns the file (or, for a server, the folder) a sqlite: DSN
// names, and false for a DSN of another engine.
func SQLitePath(dsn string) (string, bool) {
	if Engine(dsn) != engineSQLite {
		return "", false
	}
	path, _, _ := strings.Cut(strings.TrimPrefix(dsn, "sqlite:"), "?")
	return path, true
}

// checkDSN returns what is wrong with an expanded DSN, or "" when nothing
// is. The message never quotes the DSN, so it cannot leak its password.
func checkDSN(dsn string) string {
	switch Engine(dsn) {
	case engineSQLite:
		if path, _ := SQLitePath(dsn); path == "" {
			return "sqlite dsn needs a path, as in sqlite:./herd-data/control.db"
		}
		return ""
	case enginePostgres, engineMySQL:
		u, err := url.Parse(dsn)
		if err != nil {
			// url.Parse's own messages may quote part of the password.
			return "dsn is not a valid URL (percent-encode special characters in the user name and password)"
		}
		if u.Opaque != "" {
			return "dsn is not a valid URL: want scheme://[user[:password]@]host[:port]/name"
		}
		return ""
	}
	return "dsn must start with sqlite:, postgres:// or mysql://"
}

// expandEnv replaces every ${NAME} in s with the value of the environment
// variable NAME as lookup reports it. It returns the expanded string and a
// message for each variable that is unset or malformed; the messages name
// variables but never contain their values.
func expandEnv(s string, lookup func(string) (string, bool)) (string, []string) {
	var b strings.Builder
	var problems []string
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), problems
		}
		b.WriteString(s[:i])
		rest := s[i+2:]
		j := strings.IndexByte(rest, '}')
		if j < 0 {
			problems = append(problems, "unterminated ${: write an environment variable as ${NAME}")
			return b.String(), problems
		}
		name := rest[:j]
		if !validEnvName(name) {
			// The text between the braces is not shown: it may be part
			// of a password that happens to contain "${".
			problems = append(problems, "invalid environment variable name in ${…}: use letters, digits and _")
		} else if v, ok := lookup(name); !ok {
			problems = append(problems, fmt.Sprintf("environment variable %s is not set", name))
		} else {
			b.WriteString(v)
		}
		s = rest[j+1:]
	}
}

// validEnvName reports whether name is a portable environment variable
// name: a letter or _, then letters, digits or _.
func validEnvName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// resolveSQLite makes the path of a sqlite: DSN relative to dir, unless it
// is absolute, in-memory, or dir is "" (leave it relative to the current
// directory). Any ?query is kept.
func resolveSQLite(dsn, dir string) string {
	path, query, hasQuery := strings.Cut(strings.TrimPrefix(dsn, "sqlite:"), "?")
	if dir == "" || path == "" || path == ":memory:" || filepath.IsAbs(path) {
		return dsn
	}
	out := "sqlite:" + filepath.Join(dir, path)
	if hasQuery {
		out += "?" + query
	}
	return out
}

// resolvePath makes a relative path relative to dir, unless dir is "".
func resolvePath(path, dir string) string {
	if dir == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}

// RedactDSN returns dsn with its secrets replaced by xxxxx: the password
// of a URL's user info and the value of every query parameter whose name
// contains "password". Use it wherever a DSN is shown or logged. A DSN that
// does not parse as a URL is redacted by a cruder rule that may hide more
// than the password, never less.
func RedactDSN(dsn string) string {
	if Engine(dsn) == engineSQLite {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil || u.Opaque != "" {
		return redactURLs(dsn)
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), redacted)
		}
	}
	u.RawQuery = redactQuery(u.RawQuery)
	return u.String()
}

// redactQuery replaces the values of password-like parameters in a raw
// query string, keeping the order and encoding of the rest.
func redactQuery(q string) string {
	if q == "" {
		return q
	}
	params := strings.Split(q, "&")
	for i, p := range params {
		k, _, ok := strings.Cut(p, "=")
		if ok && strings.Contains(strings.ToLower(k), "password") {
			params[i] = k + "=" + redacted
		}
	}
	return strings.Join(params, "&")
}

// redactURLs hides the passwords of every URL-like token in a free text:
// after each "://", the text between the first ':' and the last '@' of the
// token, and password-like query parameters. It errs on the side of hiding
// too much.
func redactURLs(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "://")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		start := i + len("://")
		end := start + strings.IndexFunc(s[start:], func(r rune) bool {
			return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '"' || r == '`'
		})
		if end < start {
			end = len(s)
		}
		tok := s[start:end]
		if at := strings.LastIndexByte(tok, '@'); at >= 0 {
			if c := strings.IndexByte(tok[:at], ':'); c >= 0 {
				tok = tok[:c+1] + redacted + tok[at:]
			}
		}
		if head, q, ok := strings.Cut(tok, "?"); ok {
			tok = head + "?" + redactQuery(q)
		}
		b.WriteString(s[:start])
		b.WriteString(tok)
		s = s[end:]
	}
}
