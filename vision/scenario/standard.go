package scenario

import (
	"time"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/count"
)

// Person-sized objects, normalised: about 24×65 pixels at 480×360.
const personW, personH = 0.05, 0.18

// Standard is the scenario the tests and docs/accuracy.md use, 480×360 at
// 10 fps, 104 s. Times in seconds; "mid" is a vertical line at x = 0.5
// drawn top to bottom (in = left → right), "bench" a zone at the top right
// with loitering after 5 s, armed for intrusion all the time:
//
//	 2–10  a walks left → right (in at 6.0)
//	12–20  b walks right → left (out at 16.0)
//	22–30  c and d cross at once, opposite ways (in and out at 26.0)
//	32–40  e and f cross side by side (two in at 36.0)
//	42–56  g walks to the line, stands on it swaying for 6 s, goes on
//	       (one in, at 52.0 when it leaves the line)
//	58–72  h walks into bench, lingers 8 s shuffling about, leaves
//	       (enter and intrusion 59.2, loiter 64.2, exit 70.8)
//	76–80  the light dims to 75 % (and stays dim)
//	82–87  the lens is covered
//	94–100 the lens is defocused (Gaussian blur, sigma 4 px)
func Standard() (Scenario, []count.LineConfig, []count.ZoneConfig) {
	// Dark clothes on the light road, light clothes on the dark grass.
	walk := func(name string, t0, t1, x0, x1, y float64) Object {
		shade := 45.0
		if y >= 0.75 {
			shade = 170
		}
		return Object{Name: name, W: personW, H: personH, Shade: shade,
			Path: []Waypoint{{T: t0, X: x0, Y: y}, {T: t1, X: x1, Y: y}}}
	}
	s := Scenario{
		Width: 480, Height: 360, FPS: 10, Duration: 104, Noise: 2, Seed: 1,
		Objects: []Object{
			walk("a", 2, 10, -0.05, 1.05, 0.6),
			walk("b", 12, 20, 1.05, -0.05, 0.8),
			walk("c", 22, 30, -0.05, 1.05, 0.45),
			walk("d", 22, 30, 1.05, -0.05, 0.9),
			walk("e", 32, 40, -0.05, 1.05, 0.55),
			walk("f", 32, 40, -0.05, 1.05, 0.85),
			{Name: "g", W: personW, H: personH, Shade: 45, Sway: 0.006, Path: []Waypoint{
				{T: 42, X: -0.05, Y: 0.7}, {T: 46, X: 0.5, Y: 0.7}, {T: 52, X: 0.5, Y: 0.7}, {T: 56, X: 1.05, Y: 0.7}}},
			{Name: "h", W: personW, H: personH, Shade: 45, Path: []Waypoint{
				{T: 58, X: 1.05, Y: 0.32}, {T: 61, X: 0.85, Y: 0.32}, {T: 63, X: 0.8, Y: 0.36},
				{T: 64, X: 0.8, Y: 0.36}, {T: 66, X: 0.87, Y: 0.3}, {T: 67, X: 0.87, Y: 0.3},
				{T: 69, X: 0.85, Y: 0.32}, {T: 72, X: 1.05, Y: 0.32}}},
		},
		Effects: []Effect{
			{Kind: EffectLight, From: 76, To: 104, Amount: 0.75, Ramp: 4},
			{Kind: EffectCover, From: 82, To: 87},
			{Kind: EffectBlur, From: 94, To: 100, Amount: 4},
		},
	}
	lines := []count.LineConfig{{Name: "mid", Points: []vision.Point{{X: 0.5, Y: 0.15}, {X: 0.5, Y: 0.95}}}}
	zones := []count.ZoneConfig{{Name: "bench", LoiterAfter: 5 * time.Second, Armed: "always",
		Points: []vision.Point{{X: 0.7, Y: 0.22}, {X: 0.97, Y: 0.22}, {X: 0.97, Y: 0.42}, {X: 0.7, Y: 0.42}}}}
	return s, lines, zones
}
