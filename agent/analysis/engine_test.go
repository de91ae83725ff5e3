package analysis

import (
	"testing"

	"github.com/pantau/pantau/agent/config"
)

// The default config runs the shipped model on XNNPACK (auto): if its
// graph ever stopped translating, auto would fall back to OpenCV quietly
// and the detector would cost three times as much. detector.engine forces
// either engine.
func TestDefaultModelRunsOnXNNPACK(t *testing.T) {
	cfg, err := config.Parse([]byte("site: s\ncameras:\n  - {name: c, url: \"rtsp://h/c\", lines: [{name: mid, points: [[0.5, 0.2], [0.5, 0.9]]}]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Detector.Engine != config.EngineAuto {
		t.Fatalf("detector.engine defaults to %q, want auto", cfg.Detector.Engine)
	}
	for _, c := range []struct{ engine, want string }{
		{cfg.Detector.Engine, config.EngineXNNPACK},
		{config.EngineXNNPACK, config.EngineXNNPACK},
		{config.EngineOpenCV, config.EngineOpenCV},
	} {
		inf, err := NewPoolModel(cfg.Detector.Model, c.engine)
		if err != nil {
			t.Fatalf("%v (make the model with scripts/models.sh)", err)
		}
		got, why := inf.(interface{ Engine() (string, string) }).Engine()
		inf.Close()
		if got != c.want {
			t.Errorf("engine %s: the model runs on %s (%s), want %s", c.engine, got, why, c.want)
		}
	}
}
