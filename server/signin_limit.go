package server

import (
	"math"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// The limits on failed sign-ins: each client address may fail
// signInClientBurst times in a row, then once per signInClientEvery;
// every client together, signInOverallBurst times, then once per
// signInOverallEvery. A sign-in over either limit is refused 429 before
// its token is looked at.
const (
	signInClientBurst  = 5
	signInClientEvery  = 12 * time.Second // 5 a minute
	signInOverallBurst = 50
	signInOverallEvery = time.Second // 60 a minute
)

// signInLimits are token buckets of failed sign-ins, one per client
// address and one overall, on the server's clock. Only failures take
// from them. A client's bucket is forgotten once it is full again, so
// they hold at most the addresses that failed within about a minute,
// which the overall bucket bounds. Safe for concurrent use.
type signInLimits struct {
	now func() time.Time

	mu      sync.Mutex
	overall *rate.Limiter
	clients map[string]*rate.Limiter
}

func newSignInLimits(now func() time.Time) *signInLimits {
	return &signInLimits{now: now, overall: rate.NewLimiter(rate.Every(signInOverallEvery), signInOverallBurst),
		clients: map[string]*rate.Limiter{}}
}

// wait returns how long the client at addr must wait before it may try
// to sign in; 0 when it may now.
func (l *signInLimits) wait(addr string) time.Duration {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	w := untilToken(l.overall, now)
	if c, ok := l.clients[addr]; ok {
		w = max(w, untilToken(c, now))
	}
	return w
}

// failed takes a failed sign-in of the client at addr from its bucket
// and the overall one.
func (l *signInLimits) failed(addr string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for a, c := range l.clients { // the full buckets go as failures come
		if c.TokensAt(now) >= signInClientBurst {
			delete(l.clients, a)
		}
	}
	c, ok := l.clients[addr]
	if !ok {
		c = rate.NewLimiter(rate.Every(signInClientEvery), signInClientBurst)
		l.clients[addr] = c
	}
	c.AllowN(now, 1)
	l.overall.AllowN(now, 1)
}

// untilToken returns how long until lim holds a whole token at now.
func untilToken(lim *rate.Limiter, now time.Time) time.Duration {
	missing := 1 - lim.TokensAt(now)
	if missing <= 0 {
		return 0
	}
	return time.Duration(missing / float64(lim.Limit()) * float64(time.Second))
}

// clientAddr is the address r came from, without its port: the remote
// end of the connection (a proxy's X-Forwarded-For is not trusted, so
// behind a proxy every browser shares the proxy's bucket).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// retryAfter is w in whole seconds, at least 1, for Retry-After.
func retryAfter(w time.Duration) int {
	return max(1, int(math.Ceil(w.Seconds())))
}
