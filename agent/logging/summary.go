package logging

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Summariser is the agent's one place for warnings that repeat: each
// kind is logged at most once per interval, however often it happens.
// Three shapes share it: a Counter (code on the hot path calls Add; Run
// logs "dropped 312 frames in the last 10s camera=cam1 count=312"), a
// Repeated warning (the first occurrence is logged at once with its
// details, later ones fold into one line per interval with the latest
// details and a count) and a Tally (counts by reason, one line per
// interval naming each). Safe for concurrent use.
type Summariser struct {
	log      *slog.Logger
	interval time.Duration
	level    slog.Level
	// now is the clock; tests replace it.
	now func() time.Time

	mu    sync.Mutex
	items []item
}

// item is one registered kind of warning.
type item interface {
	// flush logs what is due at now; final logs whatever is pending.
	flush(now time.Time, final bool)
}

// Counter counts one kind of repeated event (say, dropped frames of one
// camera). Add is cheap and never logs.
type Counter struct {
	s       *Summariser
	format  string
	args    []any
	n       atomic.Int64
	removed atomic.Bool
}

// NewSummariser returns a summariser logging to log at warn level every
// interval (10 s when zero).
func NewSummariser(log *slog.Logger, interval time.Duration) *Summariser {
	if interval <= 0 {
		interval = 10 * time.Second
	}
	return &Summariser{log: log, interval: interval, level: slog.LevelWarn, now: time.Now}
}

func (s *Summariser) add(it item) {
	s.mu.Lock()
	s.items = append(s.items, it)
	s.mu.Unlock()
}

func (s *Summariser) remove(it item) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.items {
		if x == it {
			s.items = append(s.items[:i], s.items[i+1:]...)
			return
		}
	}
}

// Counter registers a counter. format is the message, with %d for the
// count and optionally %s for the interval: "dropped %d frames in the last
// %s". args are slog key-value pairs added to each line.
func (s *Summariser) Counter(format string, args ...any) *Counter {
	c := &Counter{s: s, format: format, args: args}
	s.add(c)
	return c
}

// Add counts n events.
func (c *Counter) Add(n int) { c.n.Add(int64(n)) }

// Inc counts one event.
func (c *Counter) Inc() { c.n.Add(1) }

// Remove logs what the counter holds and unregisters it (for a camera that
// was removed).
func (c *Counter) Remove() {
	if c.removed.Swap(true) {
		return
	}
	c.flush(time.Time{}, true)
	c.s.remove(c)
}

func (c *Counter) flush(time.Time, bool) {
	n := c.n.Swap(0)
	if n == 0 {
		return
	}
	var msg string
	if strings.Count(c.format, "%s") == 1 {
		msg = fmt.Sprintf(c.format, n, c.s.interval)
	} else {
		msg = fmt.Sprintf(c.format, n)
	}
	args := append(append([]any{}, c.args...), "count", n)
	c.s.log.Log(context.Background(), c.s.level, msg, args...)
}

// Flush logs every counter that moved since the last flush and resets
// it, and every repeated warning whose interval passed.
func (s *Summariser) Flush() { s.flushAll(false) }

func (s *Summariser) flushAll(final bool) {
	s.mu.Lock()
	items := append([]item(nil), s.items...)
	s.mu.Unlock()
	now := s.now()
	for _, it := range items {
		it.flush(now, final)
	}
}

// Run flushes every interval until ctx is cancelled, then logs whatever
// is pending and returns nil.
func (s *Summariser) Run(ctx context.Context) error {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			s.flushAll(true)
			return nil
		case <-t.C:
			s.Flush()
		}
	}
}
