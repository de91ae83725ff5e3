package logging

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"
)

// Repeated is a warning that may recur (a broker that refuses us, an
// analyzer that keeps failing): the first occurrence is logged at once,
// with its details; later ones within the interval are folded into one
// line logged when the interval has passed, with the latest details and
// "count", how many occurrences the line stands for. Safe for concurrent
// use; Log may be called on a hot path (it logs at most once per
// interval).
type Repeated struct {
	s     *Summariser
	msg   string
	args  []any
	every time.Duration
	level slog.Level

	mu      sync.Mutex
	last    time.Time // when a line was last logged
	pending int64
	detail  []any
	removed bool
}

// Repeated registers a repeated warning logged as msg with args (slog
// key-value pairs). every is the least time between two lines; zero
// uses the summariser's interval.
func (s *Summariser) Repeated(every time.Duration, msg string, args ...any) *Repeated {
	if every <= 0 {
		every = s.interval
	}
	r := &Repeated{s: s, msg: msg, args: args, every: every, level: s.level}
	s.add(r)
	return r
}

// AtLevel makes r log at level instead of warn (an error that stops
// delivery), and returns r. Call it before the first Log.
func (r *Repeated) AtLevel(level slog.Level) *Repeated {
	r.level = level
	return r
}

// Log reports one occurrence with its details (key-value pairs).
func (r *Repeated) Log(detail ...any) {
	now := r.s.now()
	r.mu.Lock()
	if r.removed {
		r.mu.Unlock()
		return
	}
	r.pending++
	r.detail = detail
	if !r.last.IsZero() && now.Sub(r.last) < r.every {
		r.mu.Unlock()
		return
	}
	r.logLocked(now)
}

// Remove logs what is pending and unregisters the warning.
func (r *Repeated) Remove() {
	r.flush(r.s.now(), true)
	r.mu.Lock()
	r.removed = true
	r.mu.Unlock()
	r.s.remove(r)
}

func (r *Repeated) flush(now time.Time, final bool) {
	r.mu.Lock()
	if r.pending == 0 || (!final && now.Sub(r.last) < r.every) {
		r.mu.Unlock()
		return
	}
	r.logLocked(now)
}

// logLocked logs the pending occurrences; it is called with r.mu held and
// releases it before logging.
func (r *Repeated) logLocked(now time.Time) {
	n, detail := r.pending, r.detail
	r.pending, r.detail, r.last = 0, nil, now
	r.mu.Unlock()
	args := append(append(append([]any{}, r.args...), detail...), "count", n)
	r.s.log.Log(context.Background(), r.level, r.msg, args...)
}

// Tally counts one kind of warning by reason (a spool's drops: full, age,
// disk_full …) and logs one line per interval naming every reason that
// moved: msg, args, "period", then reason=n in name order, then what
// detail returns at that moment (nil: nothing). As with Repeated, the
// first occurrence after a quiet interval is logged at once (a disk that
// just filled up is news), later ones are folded into the next line. Safe
// for concurrent use.
type Tally struct {
	s      *Summariser
	msg    string
	args   []any
	detail func() []any

	mu   sync.Mutex
	n    map[string]int64
	last time.Time // when a line was last logged
}

// Tally registers a tally.
func (s *Summariser) Tally(msg string, detail func() []any, args ...any) *Tally {
	t := &Tally{s: s, msg: msg, args: args, detail: detail, n: map[string]int64{}}
	s.add(t)
	return t
}

// Add counts n occurrences for reason.
func (t *Tally) Add(reason string, n int) {
	now := t.s.now()
	t.mu.Lock()
	t.n[reason] += int64(n)
	quiet := t.last.IsZero() || now.Sub(t.last) >= t.s.interval
	t.mu.Unlock()
	if quiet {
		t.flush(now, false)
	}
}

// Remove logs what the tally holds and unregisters it.
func (t *Tally) Remove() {
	t.flush(time.Time{}, true)
	t.s.remove(t)
}

func (t *Tally) flush(now time.Time, _ bool) {
	t.mu.Lock()
	if len(t.n) == 0 {
		t.mu.Unlock()
		return
	}
	n := t.n
	t.n, t.last = map[string]int64{}, now
	t.mu.Unlock()
	args := append(append([]any{}, t.args...), "period", t.s.interval)
	for _, r := range slices.Sorted(maps.Keys(n)) {
		args = append(args, r, n[r])
	}
	if t.detail != nil {
		args = append(args, t.detail()...)
	}
	t.s.log.Log(context.Background(), t.s.level, t.msg, args...)
}
