package count

import (
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/vision"
)

func TestConfigErrors(t *testing.T) {
	p := func(xy ...float64) []vision.Point {
		var pts []vision.Point
		for i := 0; i+1 < len(xy); i += 2 {
			pts = append(pts, vision.Point{X: xy[i], Y: xy[i+1]})
		}
		return pts
	}
	lineCases := []struct {
		cfgs []LineConfig
		want string
	}{
		{[]LineConfig{{Name: "a", Points: p(0.5, 0.5)}}, "lines[0].points: need at least 2 points, got 1"},
		{[]LineConfig{{Name: "a", Points: p(0.5, 0.5, 1.2, 0.5)}}, "lines[0].points[1]: coordinates must be within 0–1, got [1.2, 0.5]"},
		{[]LineConfig{{Points: p(0, 0, 1, 1)}}, "lines[0].name: required"},
		{[]LineConfig{{Name: "a", Points: p(0, 0, 1, 1)}, {Name: "a", Points: p(0, 0, 1, 1)}}, `lines[1].name: duplicate line name "a"`},
		{[]LineConfig{{Name: "a", Points: p(0, 0, 0, 0)}}, "lines[0].points[1]: same as the point before it"},
		{[]LineConfig{{Name: "a", Points: p(0, 0, 1, 1), Anchor: "top"}}, `lines[0].anchor: must be "bottom" or "center", got "top"`},
		{[]LineConfig{{Name: "a", Points: p(0, 0, 1, 1), Hysteresis: 0.7}}, "lines[0].hysteresis: must be within 0–0.5, got 0.7"},
		{[]LineConfig{{Name: "a", Points: p(0, 0, 1, 1), Classes: []string{""}}}, "lines[0].classes[0]: empty class name"},
	}
	for _, c := range lineCases {
		_, err := NewLines(c.cfgs)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("NewLines: error %v, want %q", err, c.want)
		}
	}
	zoneCases := []struct {
		cfg  ZoneConfig
		want string
	}{
		{ZoneConfig{Name: "z", Points: p(0, 0, 1, 1)}, "zones[0].points: need at least 3 points, got 2"},
		{ZoneConfig{Name: "z", Points: p(0, 0, 0.5, 0.5, 1, 1)}, "zones[0].points: the polygon has no area"},
		{ZoneConfig{Name: "z", Points: p(0, 0, 1, 0, -0.1, 1)}, "zones[0].points[2]: coordinates must be within 0–1"},
		{ZoneConfig{Name: "z", Points: plaza, Armed: "mon-fry"}, `zones[0].armed: entry 1 "mon-fry": unknown day "fry"`},
		{ZoneConfig{Name: "z", Points: plaza, LoiterAfter: -time.Second}, "zones[0].loiter_after: must not be negative"},
		{ZoneConfig{Name: "z", Points: plaza, IntrusionClasses: []string{""}}, "zones[0].intrusion_classes[0]: empty class name"},
	}
	for _, c := range zoneCases {
		_, err := NewZones([]ZoneConfig{c.cfg})
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("NewZones: error %v, want %q", err, c.want)
		}
	}
	// The zero values with a name and points are usable.
	if _, err := NewLines([]LineConfig{{Name: "a", Points: p(0, 0, 1, 1)}}); err != nil {
		t.Error(err)
	}
	if _, err := NewZones([]ZoneConfig{{Name: "z", Points: plaza}}); err != nil {
		t.Error(err)
	}
	if _, err := NewLines(nil); err != nil {
		t.Error(err)
	}
}
