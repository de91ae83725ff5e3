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
