package eval

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

func TestIntervals(t *testing.T) {
	counted := []Counted{
		{Time: 0, Rule: "mid", Direction: "in"}, {Time: 59.9, Rule: "mid", Direction: "in"},
		{Time: 60, Rule: "mid", Direction: "out", Class: "car"}, {Time: 61, Rule: "bench", Direction: "enter"},
	}
	got := intervals(counted, 75, 60)
	s := fmt.Sprint(got)
	want := "[{0 60 [{mid in  2}]} {60 75 [{bench enter  1} {mid out car 1}]}]"
	if s != want {
		t.Errorf("intervals\n got %s\nwant %s", s, want)
	}
	if got := intervals(nil, 0, 60); len(got) != 1 || len(got[0].Counts) != 0 {
		t.Errorf("empty clip: %v", got)
	}
}

func TestRunErrors(t *testing.T) {
	if _, err := Run(context.Background(), RunConfig{}); err == nil || !strings.Contains(err.Error(), "no clip") {
		t.Errorf("no clip: %v", err)
	}
	if _, err := Run(context.Background(), RunConfig{Clip: "missing.mp4"}); err == nil || !strings.Contains(err.Error(), "missing.mp4") {
		t.Errorf("missing clip: %v", err)
	}
}
