package target

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Mask replaces secrets in redacted DSNs and scrubbed messages.
const Mask = "xxxxx"

// secretParams are the query parameters whose values are secrets, compared
// case-insensitively.
var secretParams = []string{"password", "passwd", "sslpassword"}

// DSN is a server DSN in URL form (scheme://user:password@host:port/path?params)
// whose secrets are known, so that messages can be scrubbed of them. It is
// immutable and safe for concurrent use.
type DSN struct {
	// URL is the parsed DSN. Callers must not modify it.
	URL     *url.URL
	secrets []string
}

// ParseURL parses raw as a URL DSN whose scheme is one of schemes and which
// names a host. Its error never contains the password, even when raw is too
// malformed for the password to be located exactly.
func ParseURL(raw string, schemes ...string) (*DSN, error) {
	if raw == "" {
		return nil, errors.New("empty dsn")
	}
	u, err := url.Parse(raw)
	if err != nil {
		reason := err
		var ue *url.Error
		if errors.As(err, &ue) {
			reason = ue.Err
		}
		msg := scrub(reason.Error(), guessSecrets(raw))
		return nil, fmt.Errorf("malformed dsn: %s (want %s://user:password@host:port/database)", msg, schemes[0])
	}
	d := &DSN{URL: u, secrets: secretsOf(u)}
	if !slices.Contains(schemes, strings.ToLower(u.Scheme)) {
		return nil, fmt.Errorf("malformed dsn: scheme %q is not %s", safeScheme(u.Scheme), strings.Join(schemes, " or "))
	}
	if u.Opaque != "" || u.Host == "" {
		return nil, fmt.Errorf("malformed dsn: no host (want %s://user:password@host:port/database)", schemes[0])
	}
	if p := u.Port(); p != "" {
		for _, c := range p {
			if c < '0' || c > '9' {
				return nil, errors.New("malformed dsn: port is not a number")
			}
		}
	}
	if u.Fragment != "" {
		return nil, errors.New("malformed dsn: unexpected fragment (#)")
	}
	return d, nil
}

// Database returns the database the DSN's path names, or "" when it names
// none.
func (d *DSN) Database() string {
	return strings.TrimPrefix(d.URL.Path, "/")
}

// Password returns the DSN's password, or "" when it has none.
func (d *DSN) Password() string {
	p, _ := d.URL.User.Password()
	return p
}

// Redacted returns the DSN with its password, and the values of password
// query parameters, replaced by Mask.
func (d *DSN) Redacted() string {
	u := *d.URL
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), Mask)
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		changed := false
		for k := range q {
			if isSecretParam(k) {
				for i := range q[k] {
					q[k][i] = Mask
				}
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	return u.String()
}

// Scrub returns err with every secret of the DSN masked in its message. An
// error whose message holds no secret is returned as is; one that does is
// replaced by an error with the scrubbed message that still matches
// errors.Is against the sentinels the original matched (context.Canceled,
// for example), but does not unwrap to the original.
func (d *DSN) Scrub(err error) error {
	return ScrubError(err, d.secrets...)
}

// String returns the redacted DSN, so that a DSN printed by mistake shows no
// password.
func (d *DSN) String() string { return d.Redacted() }

func isSecretParam(k string) bool {
	for _, s := range secretParams {
		if strings.EqualFold(k, s) {
			return true
		}
	}
	return false
}

// secretsOf lists the secrets of u in every spelling a driver might echo:
// raw, and escaped as in a query or a userinfo.
func secretsOf(u *url.URL) []string {
	var raw []string
	if p, ok := u.User.Password(); ok {
		raw = append(raw, p)
	}
	for k, vs := range u.Query() {
		if isSecretParam(k) {
			raw = append(raw, vs...)
		}
	}
	return spellings(raw)
}

func spellings(raw []string) []string {
	var out []string
	for _, s := range raw {
		if s == "" {
			continue
		}
		out = append(out, s, url.QueryEscape(s), url.PathEscape(s),
			strings.TrimPrefix(url.UserPassword("", s).String(), ":"))
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) }) // longest first
	return slices.Compact(out)
}

// guessSecrets returns the likely password of a DSN that does not parse:
// the text between the first ':' after the scheme's "//" and the last '@',
// and its pieces as a parser might cut them.
func guessSecrets(raw string) []string {
	rest := raw
	if _, after, ok := strings.Cut(raw, "://"); ok {
		rest = after
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return nil
	}
	_, pw, ok := strings.Cut(rest[:at], ":")
	if !ok || pw == "" {
		return nil
	}
	guesses := []string{pw}
	for _, piece := range strings.FieldsFunc(pw, func(r rune) bool { return strings.ContainsRune(":/@?#%", r) }) {
		if len(piece) >= 3 {
			guesses = append(guesses, piece)
		}
	}
	return spellings(guesses)
}

var schemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]{0,20}$`)

func safeScheme(s string) string {
	if schemeRE.MatchString(s) {
		return s
	}
	return "?"
}
