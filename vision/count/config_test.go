package count

import (
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/vision"
)

func TestSchedule(t *testing.T) {
	// 2026-11-23 is a Monday.
	at := func(day, h, m int) time.Time { return time.Date(2026, 11, 23+day, h, m, 0, 0, time.UTC) }
	const mon, tue, fri, sat, sun = 0, 1, 4, 5, 6
	cases := []struct {
		spec string
		at   time.Time
		want bool
	}{
		{"", at(mon, 12, 0), false},
		{"always", at(sun, 3, 0), true},
		{"mon-fri 18:00-06:00", at(mon, 17, 59), false},
		{"mon-fri 18:00-06:00", at(mon, 18, 0), true},
		{"mon-fri 18:00-06:00", at(tue, 5, 59), true},
		{"mon-fri 18:00-06:00", at(tue, 6, 0), false},
		{"mon-fri 18:00-06:00", at(sat, 5, 0), true},
		{"mon-fri 18:00-06:00", at(sat, 20, 0), false},
		{"mon-fri 18:00-06:00", at(mon, 3, 0), false},
		{"sun 22:00-02:00", at(mon, 1, 59), true}, // wraps round the week
		{"sun 22:00-02:00", at(mon, 2, 0), false},
		{"sat,sun", at(sat, 0, 0), true},
		{"sat,sun", at(sun, 23, 59), true},
		{"sat,sun", at(fri, 23, 59), false},
		{"fri-mon", at(sun, 12, 0), true},
		{"fri-mon", at(tue, 12, 0), false},
		{"22:00-05:30", at(tue, 23, 0), true},
		{"22:00-05:30", at(tue, 5, 29), true},
		{"22:00-05:30", at(tue, 12, 0), false},
		{"MON 09:00-17:00; Sat 00:00-24:00", at(sat, 23, 0), true},
		{"MON 09:00-17:00; Sat 00:00-24:00", at(mon, 17, 0), false},
		{"tue 00:00-00:00", at(tue, 13, 0), true}, // start == end: the full day
	}
	for _, c := range cases {
		s, err := ParseSchedule(c.spec)
		if err != nil {
			t.Fatalf("%q: %v", c.spec, err)
		}
		if got := s.Armed(c.at); got != c.want {
			t.Errorf("%q at %s: armed=%v, want %v", c.spec, c.at.Format("Mon 15:04"), got, c.want)
		}
	}
}

func TestScheduleErrors(t *testing.T) {
	cases := map[string]string{
		"mon-fry 18:00-06:00": `entry 1 "mon-fry 18:00-06:00": unknown day "fry"`,
		"mon 18:00":           `entry 1 "mon 18:00": time range "18:00": want HH:MM-HH:MM`,
		"mon 25:00-06:00":     `time "25:00": want HH:MM between 00:00 and 24:00`,
		"mon 18:0-06:00":      `time "18:0"`,
		"always; mon x y":     `entry 2 "mon x y": want [DAYS] [HH:MM-HH:MM]`,
		"24:00-02:00":         `cannot start at 24:00`,
	}
	for spec, want := range cases {
		_, err := ParseSchedule(spec)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want it to contain %q", spec, err, want)
		}
	}
}

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
