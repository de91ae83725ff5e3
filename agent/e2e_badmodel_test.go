package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/camsim"
	"github.com/pantau/pantau/agent/testbroker"
)

// TestBadModelAtStart: a camera whose default COCO model has been altered
// on disk is in error from the start, its status naming the model and the
// shape it must have, while the camera beside it is analysed.
func TestBadModelAtStart(t *testing.T) {
	broker := testbroker.Start(t)
	clip := needClip(t, "vtest_h264.mp4")
	cam := startCam(t, camsim.Config{Clip: clip})
	models := t.TempDir()
	for _, f := range []string{"manifest.json", "coco91.names", "ssd_mobilenet_v2_coco.anchors"} {
		b, err := os.ReadFile(filepath.Join("../models", f))
		if err != nil {
			t.Fatalf("%v: the default model is made at set-up: run scripts/setup.sh", err)
		}
		if err := os.WriteFile(filepath.Join(models, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Not the file the manifest pins: refused before OpenCV reads it.
	if err := os.WriteFile(filepath.Join(models, "ssd_mobilenet_v2_coco.onnx"), []byte("altered"), 0o644); err != nil {
		t.Fatal(err)
	}
	sub := testbroker.Subscribe(t, broker.URL(), "pantau/v1/#")
	listen := freeAddr(t)
	startAgent(t, agentHead(broker.URL(), listen, t.TempDir())+fmt.Sprintf(`cameras:
  - {name: good, url: %q}
  - {name: badmodel, url: %q, detector: {type: dnn, model: ssd_mobilenet_v2_coco, models_dir: %q}, lines: [{name: l, points: [[0.5, 0.1], [0.5, 0.9]]}]}
`, cam.URL(), cam.URL(), models), "")
	const prefix = "pantau/v1/s/a/"
	st := payload(t, sub.WaitTopic(t, 30*time.Second, prefix+"badmodel/status", `"error"`))
	msg, _ := st["error"].(string)
	for _, want := range []string{"model ssd_mobilenet_v2_coco", "sha256", "expected input 1×3×300×300, outputs boxes [1, 1917, 4] and scores [1, 1917, 7]"} {
		if !strings.Contains(msg, want) {
			t.Errorf("badmodel status error %q does not say %q", msg, want)
		}
	}
	sub.WaitTopic(t, 30*time.Second, prefix+"good/status", `"online"`)
	waitMetricAbove(t, listen, `pantau_frames_analysed_total{camera="good"}`, 5, 30*time.Second)
}
