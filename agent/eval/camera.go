package eval

import (
	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/agent/pipeline"
	"github.com/pantau/pantau/vision"
)

// CameraOverlay is the geometry of cam's lines and zones, for Annotate.
func CameraOverlay(cam config.Camera) Overlay {
	var ov Overlay
	pts := func(ps []config.Point) []vision.Point {
		out := make([]vision.Point, len(ps))
		for i, p := range ps {
			out[i] = vision.Point(p)
		}
		return out
	}
	for _, l := range cam.Lines {
		ov.Lines = append(ov.Lines, Polyline{Name: l.Name, Points: pts(l.Points)})
	}
	for _, z := range cam.Zones {
		ov.Zones = append(ov.Zones, Polyline{Name: z.Name, Points: pts(z.Points)})
	}
	return ov
}

// CameraPipeline is the frame-path configuration the agent would use for
// cam (analysis width and rate, decode mode).
func CameraPipeline(cam config.Camera) pipeline.Config {
	return pipeline.Config{AnalysisWidth: cam.AnalysisWidth, FPS: cam.FPS, Decode: cam.Decode, Threads: cam.DecodeThreads}
}
