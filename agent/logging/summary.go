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

// Summariser turns repeated warnings into one line per interval: code on
// the hot path calls Counter.Add, and Run logs every counter that moved,
// e.g. "dropped 312 frames in the last 10s camera=cam1 count=312". Safe
// for concurrent use.
type Summariser struct {
	log      *slog.Logger
	interval time.Duration
	level    slog.Level

	mu       sync.Mutex
	counters []*Counter
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
	return &Summariser{log: log, interval: interval, level: slog.LevelWarn}
}

// Counter registers a counter. format is the message, with %d for the
// count and optionally %s for the interval: "dropped %d frames in the last
// %s". args are slog key-value pairs added to each line.
func (s *Summariser) Counter(format string, args ...any) *Counter {
	c := &Counter{s: s, format: format, args: args}
	s.mu.Lock()
	s.counters = append(s.counters, c)
	s.mu.Unlock()
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
	c.flush(context.Background())
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	for i, x := range c.s.counters {
		if x == c {
			c.s.counters = append(c.s.counters[:i], c.s.counters[i+1:]...)
			break
		}
	}
}

func (c *Counter) flush(ctx context.Context) {
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
	c.s.log.Log(ctx, c.s.level, msg, args...)
}

// Flush logs every counter that moved since the last flush and resets it.
func (s *Summariser) Flush() {
	s.mu.Lock()
	cs := append([]*Counter(nil), s.counters...)
	s.mu.Unlock()
	for _, c := range cs {
		c.flush(context.Background())
	}
}

// Run flushes every interval until ctx is cancelled, then flushes once
// more and returns nil.
func (s *Summariser) Run(ctx context.Context) error {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			s.Flush()
			return nil
		case <-t.C:
			s.Flush()
		}
	}
}
