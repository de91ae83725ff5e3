package detpool_test

import (
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/pantau/pantau/agent/analysis"
	"github.com/pantau/pantau/agent/detpool"
	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
	"github.com/pantau/pantau/vision/motion"
)

const model = "../../models/ssd_mobilenet_v2_coco.onnx"

type noMotion struct{}

func (noMotion) Blobs(time.Time) ([]motion.Blob, bool) { return nil, true }

// The real default model, through the client's full-frame pass, on a
// gray vtest frame (as the analysis sees it, fed as gray in three
// channels): it finds people, reported with the class "person" in
// normalised frame coordinates.
func TestRealModelOnVtest(t *testing.T) {
	inf, err := analysis.NewPoolModel(model, "")
	if err != nil {
		t.Fatalf("%v (make the model with scripts/models.sh)", err)
	}
	c := detpool.NewInline(inf, detpool.ClientConfig{Camera: "vtest", MinScore: 0.5}, noMotion{}, nil)
	defer c.Close()
	vc, err := gocv.VideoCaptureFile("../../testdata/vtest.avi")
	if err != nil {
		t.Fatalf("vtest.avi: %v (run scripts/setup.sh)", err)
	}
	defer vc.Close()
	bgr := gocv.NewMat()
	defer bgr.Close()
	for i := 0; i < 100; i++ {
		if !vc.Read(&bgr) {
			t.Fatal("vtest.avi: could not read 100 frames")
		}
	}
	f := frame.New(nil, nil)
	defer f.Close()
	gocv.CvtColor(bgr, &f.Gray, gocv.ColorBGRToGray)
	f.Time = time.Unix(100, 0)
	var r vision.Result
	if err := c.Analyze(f, &r); err != nil {
		t.Fatal(err)
	}
	people := 0
	for _, d := range r.Detections {
		b := d.Box
		if b.X < 0 || b.Y < 0 || b.X+b.W > 1.001 || b.Y+b.H > 1.001 || b.W <= 0 {
			t.Errorf("box %+v is not normalised to the frame", b)
		}
		if d.Class == "person" {
			people++
		}
	}
	t.Logf("%d detections, %d people: %+v", len(r.Detections), people, r.Detections)
	if r.Coast || people < 3 {
		t.Errorf("coast %v, %d people on vtest frame 100; want a detector pass finding at least 3", r.Coast, people)
	}
}
