package httpauth

import (
	"sync"
	"time"
)

// Failed-login limits: after maxFailures failures from one address within
// failWindow, that address is refused for lockFor. Bcrypt already makes
// each guess cost ~50 ms; this stops a patient script.
const (
	maxFailures = 5
	failWindow  = time.Minute
	lockFor     = time.Minute
	// maxClients bounds the table under a spray from many addresses.
	maxClients = 10000
)

type failures struct {
	n      int
	first  time.Time
	locked time.Time // until
}

type limiter struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]*failures
}

func newLimiter() *limiter { return &limiter{now: time.Now, m: map[string]*failures{}} }

// blocked returns how long client must still wait, or 0.
func (l *limiter) blocked(client string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.m[client]
	if !ok {
		return 0
	}
	if d := f.locked.Sub(l.now()); d > 0 {
		return d
	}
	return 0
}

func (l *limiter) fail(client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	f, ok := l.m[client]
	if !ok || now.Sub(f.first) > failWindow {
		if len(l.m) >= maxClients {
			l.gc(now)
		}
		f = &failures{first: now}
		l.m[client] = f
	}
	f.n++
	if f.n >= maxFailures {
		f.locked = now.Add(lockFor)
		f.n, f.first = 0, now
	}
}

func (l *limiter) reset(client string) {
	l.mu.Lock()
	delete(l.m, client)
	l.mu.Unlock()
}

// gc forgets clients that are neither locked nor inside a window; if
// every entry is live it forgets them all rather than grow.
func (l *limiter) gc(now time.Time) {
	for k, f := range l.m {
		if now.After(f.locked) && now.Sub(f.first) > failWindow {
			delete(l.m, k)
		}
	}
	if len(l.m) >= maxClients {
		l.m = map[string]*failures{}
	}
}
