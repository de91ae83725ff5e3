package analysis

import (
	"strings"

	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/count"
	"github.com/pantau/pantau/vision/tamper"
)

// The config package speaks YAML (points as pairs, schedules as strings,
// tamper thresholds as drops); the analyzers speak vision types. These
// functions translate, one per config section.

func points(ps []config.Point) []vision.Point {
	out := make([]vision.Point, len(ps))
	for i, p := range ps {
		out[i] = vision.Point(p)
	}
	return out
}

func points2(pss [][]config.Point) [][]vision.Point {
	if len(pss) == 0 {
		return nil
	}
	out := make([][]vision.Point, len(pss))
	for i, ps := range pss {
		out[i] = points(ps)
	}
	return out
}

func anchor(a string) string {
	if a == config.AnchorCenter {
		return count.AnchorCenter
	}
	return count.AnchorBottom
}

func lineConfigs(ls []config.Line) []count.LineConfig {
	out := make([]count.LineConfig, len(ls))
	for i, l := range ls {
		out[i] = count.LineConfig{
			Name: l.Name, Points: points(l.Points), Anchor: anchor(l.Anchor),
			Classes: l.Classes, Hysteresis: l.Hysteresis,
		}
	}
	return out
}

func zoneConfigs(zs []config.Zone) []count.ZoneConfig {
	out := make([]count.ZoneConfig, len(zs))
	for i, z := range zs {
		out[i] = count.ZoneConfig{
			Name: z.Name, Points: points(z.Points), Classes: z.Classes,
			LoiterAfter: z.LoiterAfter, Armed: strings.Join(z.Intrusion.Schedule, ";"),
		}
	}
	return out
}

func tamperConfig(t config.TamperConfig) tamper.Config {
	c := tamper.Config{VideoLoss: t.VideoLoss, RaiseAfter: t.Hold, ClearAfter: t.Hold}
	if t.DarkLevel > 0 {
		c.CoveredMean = t.DarkLevel
	}
	if t.DefocusDrop > 0 {
		c.DefocusRatio = 1 - t.DefocusDrop
	}
	if t.SceneChange > 0 {
		c.SceneCorrelation = 1 - t.SceneChange
	}
	return c
}

// ruleBounds are the bounding boxes of a camera's lines and zones: where
// its detector is needed.
func ruleBounds(cam config.Camera) []vision.Rect {
	var out []vision.Rect
	add := func(ps []config.Point) {
		if len(ps) == 0 {
			return
		}
		x0, y0, x1, y1 := ps[0].X, ps[0].Y, ps[0].X, ps[0].Y
		for _, p := range ps[1:] {
			x0, y0, x1, y1 = min(x0, p.X), min(y0, p.Y), max(x1, p.X), max(y1, p.Y)
		}
		out = append(out, vision.Rect{X: x0, Y: y0, W: x1 - x0, H: y1 - y0})
	}
	for _, l := range cam.Lines {
		add(l.Points)
	}
	for _, z := range cam.Zones {
		add(z.Points)
	}
	return out
}
