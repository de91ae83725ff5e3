package camsim

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Impairments make the server misbehave the way real cameras and networks
// do, one knob per case the agent must survive. The zero value is a
// well-behaved camera.
type Impairments struct {
	// StallAfter and StallFor (--stall AFTER:FOR): StallAfter after the
	// stream starts, stop sending video for StallFor while keeping every
	// session open and RTCP sender reports flowing, as a frozen encoder
	// does. StallFor 0 means for ever.
	StallAfter, StallFor time.Duration
	// RTCPOnly (--rtcp-only) sends no video at all, only RTCP sender
	// reports, once a second.
	RTCPOnly bool
	// Loss (--loss PCT, here 0–1) is the fraction of RTP packets dropped
	// before sending; the pseudo-random sequence is the same every run.
	Loss float64
	// Jitter (--jitter D) delays each access unit by a random 0–D.
	Jitter time.Duration
	// LockoutAfter and LockoutFor (--auth-lockout N:T): after
	// LockoutAfter wrong logins in a row, every login, right or wrong, is
	// refused with 401 for LockoutFor, as cameras that lock the account.
	LockoutAfter int
	LockoutFor   time.Duration
	// SlowDescribe (--slow-describe D) waits D before answering DESCRIBE.
	SlowDescribe time.Duration
}

func (im Impairments) check() error {
	switch {
	case im.StallAfter < 0 || im.StallFor < 0:
		return fmt.Errorf("camsim: stall %v:%v: want durations ≥ 0", im.StallAfter, im.StallFor)
	case im.Loss < 0 || im.Loss > 1:
		return fmt.Errorf("camsim: loss %v: want 0 to 1", im.Loss)
	case im.Jitter < 0 || im.SlowDescribe < 0:
		return fmt.Errorf("camsim: jitter and slow describe must be ≥ 0")
	case im.LockoutAfter < 0 || im.LockoutFor < 0 || (im.LockoutAfter > 0) != (im.LockoutFor > 0):
		return fmt.Errorf("camsim: auth lockout %d:%v: want N > 0 and T > 0", im.LockoutAfter, im.LockoutFor)
	}
	return nil
}

// stalled reports whether video is held back at elapsed time since the
// stream started.
func (im Impairments) stalled(elapsed time.Duration) bool {
	if im.RTCPOnly {
		return true
	}
	if im.StallAfter == 0 && im.StallFor == 0 {
		return false
	}
	return elapsed >= im.StallAfter && (im.StallFor == 0 || elapsed < im.StallAfter+im.StallFor)
}

// ParsePair parses "A:B" where A is parsed by first and B is a duration,
// as --stall AFTER:FOR and --auth-lockout N:T take.
func ParsePair(s string) (a string, b time.Duration, err error) {
	a, bs, ok := strings.Cut(s, ":")
	if !ok {
		return "", 0, fmt.Errorf("%q: want A:B", s)
	}
	b, err = time.ParseDuration(bs)
	if err != nil {
		return "", 0, fmt.Errorf("%q: %w", s, err)
	}
	return a, b, nil
}

// ParseStall parses --stall AFTER:FOR (two durations).
func ParseStall(s string) (after, dur time.Duration, err error) {
	a, dur, err := ParsePair(s)
	if err != nil {
		return 0, 0, fmt.Errorf("stall %w", err)
	}
	if after, err = time.ParseDuration(a); err != nil {
		return 0, 0, fmt.Errorf("stall %q: %w", s, err)
	}
	return after, dur, nil
}

// ParseLockout parses --auth-lockout N:T (a count and a duration).
func ParseLockout(s string) (n int, dur time.Duration, err error) {
	a, dur, err := ParsePair(s)
	if err != nil {
		return 0, 0, fmt.Errorf("auth lockout %w", err)
	}
	if n, err = strconv.Atoi(a); err != nil || n <= 0 {
		return 0, 0, fmt.Errorf("auth lockout %q: want a count > 0 before the colon", s)
	}
	return n, dur, nil
}

// lockout counts logins and locks the account like a camera does. Safe
// for concurrent use.
type lockout struct {
	mu          sync.Mutex
	after       int
	dur         time.Duration
	wrong       int       // wrong logins in a row
	until       time.Time // locked until
	attempts    int       // logins tried (requests with credentials)
	refusedLock int       // logins refused because locked
}

// login records one login and reports whether it is accepted; ok is
// whether the credentials were right.
func (l *lockout) login(ok bool, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.attempts++
	if l.after > 0 && now.Before(l.until) {
		l.refusedLock++
		return false
	}
	if ok {
		l.wrong = 0
		return true
	}
	l.wrong++
	if l.after > 0 && l.wrong >= l.after {
		l.until = now.Add(l.dur)
		l.wrong = 0
	}
	return false
}

// LoginStats reports how many logins (requests with credentials) clients
// tried and how many were refused because the account was locked.
func (s *Server) LoginStats() (attempts, refusedLocked int) {
	s.lock.mu.Lock()
	defer s.lock.mu.Unlock()
	return s.lock.attempts, s.lock.refusedLock
}

// SetPassword changes the password clients must give (a technician fixed
// the camera's or the agent's side).
func (s *Server) SetPassword(p string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.Password = p
}
