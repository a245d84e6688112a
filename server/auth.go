package server

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"

	"github.com/herdhq/herd"
)

// Role is what a token lets its holder do. An operator may do whatever a
// viewer may.
type Role int

// The roles, from least to most.
const (
	// Viewer reads: flag evaluations, the API and the console's pages.
	Viewer Role = iota + 1
	// Operator also acts: pauses, resumes, aborts, retries and rolls back
	// rollouts from the console.
	Operator
)

// String names the role.
func (r Role) String() string {
	if r == Operator {
		return "operator"
	}
	return "viewer"
}

// Token is a named secret. The name is what the audit log records as the
// actor of what its holder does; the secret is what a client sends.
type Token struct {
	Name   string
	Secret string
}

// ParseTokens reads a comma-separated list of tokens, each "name:secret"
// or a bare secret, which is named after the prefix and its place in the
// list ("viewer-1" for the first with prefix "viewer"). Blanks between
// commas are ignored. A token with an empty name or secret, or two of the
// same name, is an input error naming it (never its secret).
func ParseTokens(list, prefix string) ([]Token, error) {
	var out []Token
	seen := map[string]bool{}
	for i, field := range strings.Split(list, ",") {
		field = strings.TrimSpace(field)
		if field == "" {
			continue
		}
		tok := Token{Name: fmt.Sprintf("%s-%d", prefix, i+1), Secret: field}
		if name, secret, ok := strings.Cut(field, ":"); ok {
			tok = Token{Name: strings.TrimSpace(name), Secret: strings.TrimSpace(secret)}
		}
		switch {
		case tok.Name == "":
			return nil, &herd.InputError{Err: fmt.Errorf("%s token %d: the name before the colon is empty (want name:secret)", prefix, i+1)}
		case tok.Secret == "":
			return nil, &herd.InputError{Err: fmt.Errorf("%s token %q: the secret after the colon is empty (want name:secret)", prefix, tok.Name)}
		case seen[tok.Name]:
			return nil, &herd.InputError{Err: fmt.Errorf("%s token %q: the name is given twice", prefix, tok.Name)}
		}
		seen[tok.Name] = true
		out = append(out, tok)
	}
	return out, nil
}

// principal is who sent a request: a token's name and role.
type principal struct {
	name string
	role Role
	// session is the browser session the request came in, nil for a
	// bearer token.
	session *session
}

// credential is a token the server accepts, with its role.
type credential struct {
	name   string
	secret []byte
	role   Role
}

// credentials are the tokens a server accepts.
type credentials []credential

func newCredentials(viewers, operators []Token) credentials {
	var out credentials
	for _, set := range []struct {
		tokens []Token
		role   Role
	}{{viewers, Viewer}, {operators, Operator}} {
		for _, t := range set.tokens {
			out = append(out, credential{name: t.Name, secret: []byte(t.Secret), role: set.role})
		}
	}
	return out
}

// match finds the token given is the secret of. It compares given with
// every secret in constant time, whichever matches, so that the time it
// takes tells nothing of which token matched or how much of one did.
func (cs credentials) match(given string) (principal, bool) {
	found := -1
	for i, c := range cs {
		if subtle.ConstantTimeCompare([]byte(given), c.secret) == 1 {
			found = i
		}
	}
	if found < 0 {
		return principal{}, false
	}
	return principal{name: cs[found].name, role: cs[found].role}, true
}

// tokenProblem is what is wrong with a request's token, as told to the
// client; tokenOK when nothing is.
type tokenProblem string

const (
	tokenOK      tokenProblem = ""
	tokenMissing tokenProblem = "a viewer token is required: send Authorization: Bearer TOKEN or X-API-Key: TOKEN"
	tokenScheme  tokenProblem = "the Authorization header must be Bearer TOKEN"
	tokenWrong   tokenProblem = "the token sent is not a viewer token of this server"
)

// identify says who sent r: the holder of its bearer token (or X-API-Key),
// else of its session cookie. Without tokens configured, everyone is an
// operator named "local" (herd serve then listens on loopback only).
func (s *server) identify(r *http.Request) (principal, tokenProblem) {
	given := r.Header.Get("X-API-Key")
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, token, ok := strings.Cut(auth, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return principal{}, tokenScheme
		}
		given = strings.TrimSpace(token)
	}
	if given != "" {
		if len(s.creds) == 0 {
			return principal{name: localName, role: Operator}, tokenOK
		}
		p, ok := s.creds.match(given)
		if !ok {
			return principal{}, tokenWrong
		}
		return p, tokenOK
	}
	if sess, ok := s.sessions.fromRequest(r); ok {
		return principal{name: sess.name, role: sess.role, session: sess}, tokenOK
	}
	if len(s.creds) == 0 {
		return principal{name: localName, role: Operator}, tokenOK
	}
	return principal{}, tokenMissing
}

// localName is the actor of what is done on a server without tokens.
const localName = "local"

// viewer lets a request through when it comes from a viewer or an
// operator (a bearer token or a session), and answers 401 otherwise,
// saying whether the token was missing, sent in a scheme herd does not
// take, or not one of the server's tokens (RFC 6750's invalid_token).
func (s *server) viewer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, problem := s.identify(r)
		if problem == tokenOK {
			next.ServeHTTP(w, r)
			return
		}
		challenge := `Bearer realm="herd"`
		if problem == tokenWrong {
			challenge += `, error="invalid_token"`
		}
		w.Header().Set("WWW-Authenticate", challenge)
		writeJSON(w, http.StatusUnauthorized, generalError{ErrorDetails: string(problem)})
	})
}
