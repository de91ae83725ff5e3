package logging

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeClock drives a summariser's clock by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// TestRepeatedOncePerPeriod: a warning that happens every 100 ms for 35 s
// is logged once at once, then once per 10 s period, and the lines'
// counts add up to every occurrence, the last details kept.
func TestRepeatedOncePerPeriod(t *testing.T) {
	var buf bytes.Buffer
	log, _ := New(&buf, "info", "text")
	s := NewSummariser(log, 10*time.Second)
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s.now = clk.now
	r := s.Repeated(0, "analyzer failed", "camera", "cam1")
	start := clk.t
	total := 0
	for i := 0; i < 350; i++ {
		r.Log("analyzer", "motion", "err", "frame "+strconv.Itoa(i))
		total++
		if i == 0 && !strings.Contains(buf.String(), `err="frame 0" count=1`) {
			t.Fatalf("first occurrence not logged at once: %q", buf.String())
		}
		clk.t = clk.t.Add(100 * time.Millisecond)
		if i%10 == 9 {
			s.Flush() // Run's ticker, here once a second
		}
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	// At 0 s, then at 10, 20 and 30 s: one line per period.
	if len(lines) != 4 {
		t.Fatalf("%d lines in 35 s, want 4 (one per 10 s period):\n%s", len(lines), buf.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = s.Run(ctx) // the final flush logs what is pending
	lines = strings.Split(strings.TrimSpace(buf.String()), "\n")
	sum := 0
	re := regexp.MustCompile(` count=(\d+)$`)
	for i, l := range lines {
		if !strings.Contains(l, `msg="analyzer failed" camera=cam1 analyzer=motion`) {
			t.Errorf("line %d: %q", i, l)
		}
		m := re.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("line %d has no count: %q", i, l)
		}
		n, _ := strconv.Atoi(m[1])
		sum += n
	}
	if sum != total {
		t.Errorf("counts add up to %d, want %d", sum, total)
	}
	if !strings.Contains(lines[len(lines)-1], `err="frame 349"`) {
		t.Errorf("the last line does not carry the latest details: %q", lines[len(lines)-1])
	}
	if clk.t.Sub(start) != 35*time.Second {
		t.Fatalf("clock ran %v", clk.t.Sub(start))
	}
	// Within the period of the final line: folded; Remove logs them, and
	// nothing after.
	buf.Reset()
	r.Log("err", "x")
	r.Log("err", "y")
	r.Remove()
	r.Log("err", "z")
	if out := buf.String(); strings.Count(out, "\n") != 1 || !strings.Contains(out, "err=y count=2") || strings.Contains(out, "err=z") {
		t.Errorf("after Remove: %q", out)
	}
}

func TestTallyOneLinePerPeriod(t *testing.T) {
	var buf bytes.Buffer
	log, _ := New(&buf, "info", "text")
	s := NewSummariser(log, 10*time.Second)
	tl := s.Tally("mqtt: spool dropped messages", func() []any { return []any{"queued", 7} })
	for i := 0; i < 30; i++ {
		tl.Add("full_counts", 1)
	}
	tl.Add("full", 2)
	// The first drop is news and logged at once; the rest wait for the
	// period's line.
	if out := buf.String(); strings.Count(out, "\n") != 1 || !strings.Contains(out, `period=10s full_counts=1 queued=7`) {
		t.Fatalf("first Add logged %q, want one line with full_counts=1", out)
	}
	s.Flush()
	s.Flush()
	out := buf.String()
	if strings.Count(out, "\n") != 2 || !strings.Contains(out, `msg="mqtt: spool dropped messages" period=10s full=2 full_counts=29 queued=7`) {
		t.Errorf("tally:\n%s", out)
	}
}
