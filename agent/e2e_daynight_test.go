package agent

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/camsim"
	"github.com/pantau/pantau/agent/testbroker"
)

// TestDayNightSwitch: a camera that goes to infrared at dusk and back at
// dawn (daynight_h264.mp4: vtest, gray, 40 % darker and noisy from 10 s to
// 70 s) beside the same scene in colour all along (vtest_h264.mp4), both
// from the same frame, through real mosquitto and the camera simulator.
// Both streams start at 60 s into the clip, so the night camera wakes up
// in infrared, sees dawn 10 s later and dusk 29.5 s later (the clip
// loops). Each switch is taken as a new view: logged, counted, in the
// retained status, the motion background restarted (twice in all), no
// tamper event, and no more crossings or zone entries around the switches
// than the colour camera counts over the same frames.
func TestDayNightSwitch(t *testing.T) {
	const startFrame = 600 // a keyframe (GOP 25), 60.0 s into the clip
	const dawn, dusk = 10 * time.Second, 29500 * time.Millisecond
	broker := testbroker.Start(t)
	night := startCam(t, camsim.Config{Clip: needClip(t, "daynight_h264.mp4"), StartFrame: startFrame})
	plain := startCam(t, camsim.Config{Clip: needClip(t, "vtest_h264.mp4"), StartFrame: startFrame})
	start := time.Now()
	sub := testbroker.Subscribe(t, broker.URL(), "pantau/v1/s/a/#")
	listen := freeAddr(t)
	rules := `detector: {type: blob}
    tamper: {enabled: true}
    lines: [{name: left, points: [[0.35, 0.26], [0.35, 0.66]]}]
    zones: [{name: path, points: [[0.1, 0.3], [0.35, 0.3], [0.35, 0.7], [0.1, 0.7]]}]`
	ra := startAgent(t, agentHead(broker.URL(), listen, t.TempDir(), "counts: {interval: 1s}", "defaults: {fps: 5}")+fmt.Sprintf(`cameras:
  - name: night
    url: %q
    %s
  - name: plain
    url: %q
    %s
`, night.URL(), rules, plain.URL(), rules), "")
	waitListening(t, listen)
	// Past dusk by the settle time (3 s), tamper's learning of the night
	// view (5 s) and its hold (3 s): a condition judged against the day
	// would be raised by then.
	time.Sleep(time.Until(start.Add(dusk + 11*time.Second)))

	// The metrics: each switch counted once, the night camera in
	// infrared, its background restarted once per switch; nothing on the
	// colour camera.
	for _, c := range []struct {
		series string
		want   float64
	}{
		{`pantau_view_changes_total{camera="night",change="ir_to_day"}`, 1},
		{`pantau_view_changes_total{camera="night",change="day_to_ir"}`, 1},
		{`pantau_view_changes_total{camera="night",change="lighting"}`, 0},
		{`pantau_motion_background_restarts_total{camera="night",reason="view_change"}`, 2},
		{`pantau_camera_view{camera="night",view="ir"}`, 1},
		{`pantau_view_changes_total{camera="plain",change="day_to_ir"}`, 0},
		{`pantau_view_changes_total{camera="plain",change="lighting"}`, 0},
		{`pantau_motion_background_restarts_total{camera="plain",reason="view_change"}`, 0},
		{`pantau_camera_view{camera="plain",view="day"}`, 1},
	} {
		if got := metric(t, listen, c.series); got != c.want {
			t.Errorf("%s = %g, want %g", c.series, got, c.want)
		}
	}
	for _, cam := range []string{"night", "plain"} {
		s := fmt.Sprintf(`pantau_motion_background_restarts_total{camera=%q,reason="global_change"}`, cam)
		t.Logf("%s = %g", s, metric(t, listen, s))
	}
	time.Sleep(time.Second) // the last events reach the broker
	ra.stop(t)

	msgs := sub.Messages()
	validateAll(t, "pantau/v1/s/a/", msgs)
	logs := ra.logs.String()

	// The switches, as the night camera's status tells them.
	var switches []time.Time
	var lastView map[string]string
	views := map[string]map[string]bool{"night": {}, "plain": {}}
	for _, m := range msgs {
		for _, cam := range []string{"night", "plain"} {
			if m.Topic != "pantau/v1/s/a/"+cam+"/status" {
				continue
			}
			p := payload(t, m)
			v, _ := p["view"].(string)
			views[cam][v] = true
			if cam != "night" {
				continue
			}
			lastView = map[string]string{"view": v}
			if s, ok := p["view_changed"].(string); ok {
				ts, err := time.Parse(time.RFC3339Nano, s)
				if err != nil {
					t.Fatalf("view_changed %q: %v", s, err)
				}
				if len(switches) == 0 || !switches[len(switches)-1].Equal(ts) {
					switches = append(switches, ts)
				}
			}
		}
	}
	if len(switches) != 2 {
		t.Fatalf("night camera: %d view changes in its status (%v), want 2 (dawn, dusk); log:\n%s", len(switches), switches, logs)
	}
	t.Logf("switches %.1f s and %.1f s after the cameras started (expected %.1f and %.1f + connection)",
		switches[0].Sub(start).Seconds(), switches[1].Sub(start).Seconds(), dawn.Seconds(), dusk.Seconds())
	if gap := switches[1].Sub(switches[0]); gap < dusk-dawn-time.Second || gap > dusk-dawn+time.Second {
		t.Errorf("dawn and dusk %v apart, want %v ± 1 s", gap, dusk-dawn)
	}
	if lastView["view"] != "ir" || !views["night"]["day"] || views["plain"]["ir"] || !views["plain"]["day"] {
		t.Errorf("status views: night %v (last %q), plain %v; want night day and ir, ending ir, plain day only",
			views["night"], lastView["view"], views["plain"])
	}
	if n := strings.Count(logs, "view changed"); n != 2 || !strings.Contains(logs, "change=ir_to_day") ||
		!strings.Contains(logs, "change=day_to_ir") || !strings.Contains(logs, "motion_background_restarted=true") {
		t.Errorf("%d view change log lines, want 2 (ir_to_day, day_to_ir, background restarted):\n%s", n, logs)
	}

	// No tamper event on either camera: a switch to infrared is not
	// tampering, and the night is judged against the night view.
	for _, m := range msgs {
		if strings.Contains(m.Topic, "/event/tamper") {
			t.Errorf("tamper event %s: %s", m.Topic, m.Payload)
		}
	}

	// No burst of crossings or zone entries around the switches: from
	// just before each switch to well after the motion warm-up and the
	// settle time, the night camera counts about what the colour camera
	// counts over the same frames (the streams run a few hundred ms apart).
	events := func(cam string, from, to time.Time, types ...string) int {
		if len(types) == 0 {
			types = []string{"line_cross", "zone_enter"}
		}
		n := 0
		for _, m := range msgs {
			typ, ok := strings.CutPrefix(m.Topic, "pantau/v1/s/a/"+cam+"/event/")
			if !ok || !slices.Contains(types, typ) {
				continue
			}
			s, _ := payload(t, m)["ts"].(string)
			ts, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				t.Fatalf("%s: ts %q: %v", m.Topic, s, err)
			}
			if !ts.Before(from) && ts.Before(to) {
				n++
			}
		}
		return n
	}
	for i, sw := range switches {
		from, to := sw.Add(-time.Second), sw.Add(8*time.Second)
		n, p := events("night", from, to), events("plain", from, to)
		t.Logf("switch %d, from 1 s before to 8 s after: night %d crossings + %d zone entries, plain %d + %d", i+1,
			events("night", from, to, "line_cross"), events("night", from, to, "zone_enter"),
			events("plain", from, to, "line_cross"), events("plain", from, to, "zone_enter"))
		// Two of slack: the two streams are sampled at 5 fps with their own
		// phase and drop frames under load, so the same people make
		// slightly different tracks.
		if n > p+2 {
			t.Errorf("switch %d: night camera counted %d crossings and zone entries around it, the colour camera %d", i+1, n, p)
		}
	}
	all := func(cam string) int { return events(cam, start.Add(-time.Minute), time.Now()) }
	t.Logf("whole run: night %d crossings + zone entries, plain %d", all("night"), all("plain"))
	if all("plain") == 0 {
		t.Error("the colour camera counted nothing: the comparison says nothing")
	}
}
