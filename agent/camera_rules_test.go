package agent

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/vision"
)

func TestLineDirectionFiltersEventsNotCounts(t *testing.T) {
	c := &intervalClock{current: config.Camera{Lines: []config.Line{
		{Name: "gate", Direction: config.DirectionIn},
		{Name: "road"},
	}}}
	for _, tc := range []struct {
		rule, dir string
		want      bool
	}{
		{"gate", "in", true}, {"gate", "out", false}, {"road", "out", true}, {"other", "out", true},
	} {
		if got := c.wantsCrossing(tc.rule, tc.dir); got != tc.want {
			t.Errorf("%s %s: event raised %v, want %v", tc.rule, tc.dir, got, tc.want)
		}
	}
}

func TestOccupancyGaugesReturnToZero(t *testing.T) {
	g := occupancyGauges{}
	var sets []string
	set := func(zone, class string, n int) { sets = append(sets, fmt.Sprintf("%s/%s=%d", zone, class, n)) }
	frame := func(byClass map[string]int) {
		g.update([]vision.ZoneOccupancy{{Zone: "plaza", ByClass: byClass}}, set)
	}
	frame(map[string]int{"object": 2})
	frame(map[string]int{"object": 2}) // unchanged: not set again
	frame(map[string]int{"object": 1, "car": 1})
	frame(map[string]int{}) // the last objects left: back to 0
	frame(map[string]int{})
	want := "plaza/object=2 plaza/object=1 plaza/car=1 plaza/car=0 plaza/object=0"
	got := strings.Join(sets, " ")
	// Map order within one frame is not fixed; compare as sets per frame.
	if len(sets) != 5 || !strings.HasPrefix(got, "plaza/object=2 ") || !strings.Contains(got, "plaza/car=1") ||
		!strings.Contains(got, "plaza/car=0") || !strings.Contains(got, "plaza/object=0") {
		t.Errorf("gauge updates %q, want (in any order within a frame) %q", got, want)
	}
}
