package server

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// DefaultSessionTTL is how long a browser's sign-in lasts when
// Options.SessionTTL is not set.
const DefaultSessionTTL = 12 * time.Hour

// sessionCookie names the cookie that carries a browser's session id.
const sessionCookie = "herd_session"

// session is a signed-in browser: the token it signed in with (its name
// and role, never its secret), the token its forms carry against
// cross-site request forgery, and when it ends.
type session struct {
	id      string
	name    string
	role    Role
	csrf    string
	expires time.Time
}

// checkCSRF reports whether token is the session's form token.
func (s *session) checkCSRF(token string) bool {
	return subtle.ConstantTimeCompare([]byte(token), []byte(s.csrf)) == 1
}

// sessions are the signed-in browsers, held in memory by random id: a
// restart signs everyone out. Safe for concurrent use.
type sessions struct {
	ttl time.Duration
	now func() time.Time

	mu   sync.Mutex
	byID map[string]*session
}

func newSessions(ttl time.Duration, now func() time.Time) *sessions {
	return &sessions{ttl: ttl, now: now, byID: map[string]*session{}}
}

// start opens a session for the holder of token p and sets its cookie on
// w, Secure when r came over TLS (see overTLS).
func (ss *sessions) start(w http.ResponseWriter, r *http.Request, p principal) *session {
	now := ss.now()
	sess := &session{id: randomID(), name: p.name, role: p.role, csrf: randomID(), expires: now.Add(ss.ttl)}
	ss.mu.Lock()
	for id, old := range ss.byID { // the ended sessions go as new ones come
		if !now.Before(old.expires) {
			delete(ss.byID, id)
		}
	}
	ss.byID[sess.id] = sess
	ss.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sess.id, Path: "/", Expires: sess.expires,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: overTLS(r)})
	return sess
}

// fromRequest returns the live session r's cookie names.
func (ss *sessions) fromRequest(r *http.Request) (*session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, false
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	sess, ok := ss.byID[c.Value]
	if !ok {
		return nil, false
	}
	if !ss.now().Before(sess.expires) {
		delete(ss.byID, sess.id)
		return nil, false
	}
	return sess, true
}

// end closes r's session, if any, and clears its cookie on w.
func (ss *sessions) end(w http.ResponseWriter, r *http.Request) {
	if sess, ok := ss.fromRequest(r); ok {
		ss.mu.Lock()
		delete(ss.byID, sess.id)
		ss.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: overTLS(r)})
}

// randomID returns 32 random bytes, base64url-encoded.
func randomID() string {
	b := make([]byte, 32)
	rand.Read(b) //nolint:errcheck // crypto/rand.Read never fails (Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}
