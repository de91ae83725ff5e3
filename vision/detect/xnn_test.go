package detect

import (
	"image"
	"math"
	"runtime"
	"sort"
	"testing"

	"gocv.io/x/gocv"
)

// openEngines loads the default model twice: with OpenCV's dnn and with
// XNNPACK.
func openEngines(t testing.TB, change func(*DNNConfig)) (cv, xnn *DNN) {
	t.Helper()
	cv = openDefault(t, func(c *DNNConfig) {
		if change != nil {
			change(c)
		}
		c.Engine = EngineOpenCV
	})
	xnn = openDefault(t, func(c *DNNConfig) {
		if change != nil {
			change(c)
		}
		c.Engine = EngineXNNPACK
	})
	if e, _ := cv.Engine(); e != EngineOpenCV {
		t.Fatalf("engine opencv runs on %s", e)
	}
	if e, _ := xnn.Engine(); e != EngineXNNPACK {
		t.Fatalf("engine xnnpack runs on %s", e)
	}
	return cv, xnn
}

// maxDiff is the largest absolute difference between a and b.
func maxDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

// XNNPACK runs the shipped SSD to the same outputs as OpenCV's dnn on real
// vtest frames — colour, gray (IR night) and a letterboxed crop — up to
// float rounding, and the detections after decoding and NMS are the same.
func TestXNNPACKMatchesOpenCV(t *testing.T) {
	checkMats(t)
	frames := vtestFrames(t, 100, 300, 500, 700)
	defer closeAll(frames)
	gray := gocv.NewMat()
	defer gray.Close()
	gocv.CvtColor(frames[1], &gray, gocv.ColorBGRToGray)
	region := frames[2].Region(image.Rect(200, 100, 520, 340))
	crop := region.Clone() // the pool's crops are continuous copies
	region.Close()
	defer crop.Close()
	pics := append(append([]gocv.Mat{}, frames...), gray, crop)
	names := []string{"frame 100", "frame 300", "frame 500", "frame 700", "frame 300 gray", "frame 500 crop"}
	for _, letterbox := range []bool{false, true} {
		cv, xnn := openEngines(t, func(c *DNNConfig) { c.Stretch = c.Stretch && !letterbox; c.Confidence = 0.3 })
		for i, img := range pics {
			if err := cv.forward(img); err != nil {
				t.Fatal(err)
			}
			if err := xnn.forward(img); err != nil {
				t.Fatal(err)
			}
			if len(cv.outs) != 2 || len(xnn.outs) != 2 {
				t.Fatalf("%s: %d and %d outputs", names[i], len(cv.outs), len(xnn.outs))
			}
			for k := range 2 {
				if !sameShape(cv.shapes[k], xnn.shapes[k]...) {
					t.Fatalf("%s: output %d is %v with OpenCV, %v with XNNPACK", names[i], k, cv.shapes[k], xnn.shapes[k])
				}
			}
			boxes, scores := maxDiff(cv.outs[0], xnn.outs[0]), maxDiff(cv.outs[1], xnn.outs[1])
			t.Logf("%s (letterbox %v): max difference boxes %.2g, scores %.2g", names[i], letterbox, boxes, scores)
			// Box encodings are ~±5 (tenths of an anchor), scores in [0, 1].
			if boxes > 5e-4 || scores > 5e-5 {
				t.Errorf("%s: outputs differ by %g (boxes), %g (scores)", names[i], boxes, scores)
			}
			a, err := cv.Infer(img)
			if err != nil {
				t.Fatal(err)
			}
			b, err := xnn.Infer(img)
			if err != nil {
				t.Fatal(err)
			}
			if len(a) != len(b) || len(a) == 0 && i < 4 {
				t.Fatalf("%s: %d detections with OpenCV, %d with XNNPACK", names[i], len(a), len(b))
			}
			for k := range a {
				da, db := a[k], b[k]
				off := max(math.Abs(da.Box.X-db.Box.X), math.Abs(da.Box.Y-db.Box.Y), math.Abs(da.Box.W-db.Box.W), math.Abs(da.Box.H-db.Box.H))
				if da.Class != db.Class || math.Abs(da.Score-db.Score) > 1e-4 || off > 0.05 {
					t.Errorf("%s: detection %d: %+v with OpenCV, %+v with XNNPACK", names[i], k, da, db)
				}
			}
		}
		cv.Close()
		xnn.Close()
	}
}

// BenchmarkEngines runs one forward of the default model on a vtest frame
// with OpenCV's dnn and with XNNPACK, alternately, on one thread (a pool
// worker's setting), and reports the CPU time of each and their ratio:
//
//	go test -tags matprofile -run XXX -bench Engines -benchtime 30x ./vision/detect
func BenchmarkEngines(b *testing.B) {
	frames := vtestFrames(b, 300)
	defer closeAll(frames)
	img := frames[0]
	old := SetOpenCVThreads(1)
	defer SetOpenCVThreads(old)
	cv, xnn := openEngines(b, nil)
	defer cv.Close()
	defer xnn.Close()
	for _, d := range []*DNN{cv, xnn} { // warm-up: first runs allocate
		if err := d.forward(img); err != nil {
			b.Fatal(err)
		}
	}
	var tcv, txnn float64
	b.ResetTimer()
	for range b.N {
		c0 := cpuTime()
		if err := cv.forward(img); err != nil {
			b.Fatal(err)
		}
		c1 := cpuTime()
		if err := xnn.forward(img); err != nil {
			b.Fatal(err)
		}
		c2 := cpuTime()
		tcv += (c1 - c0).Seconds()
		txnn += (c2 - c1).Seconds()
	}
	b.ReportMetric(tcv*1000/float64(b.N), "opencv-cpu-ms")
	b.ReportMetric(txnn*1000/float64(b.N), "xnnpack-cpu-ms")
	b.ReportMetric(tcv/txnn, "opencv/xnnpack")
}

// BenchmarkXNNPACKSteps breaks one XNNPACK forward of the default model
// down by step (thread CPU time): per kind, and the costliest steps.
//
//	go test -tags matprofile -run XXX -bench XNNPACKSteps -benchtime 50x -v ./vision/detect
func BenchmarkXNNPACKSteps(b *testing.B) {
	frames := vtestFrames(b, 300)
	defer closeAll(frames)
	d := openDefault(b, func(c *DNNConfig) { c.Engine = EngineXNNPACK })
	defer d.Close()
	if err := d.forward(frames[0]); err != nil {
		b.Fatal(err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ns := make([]float64, len(d.xnn.plan.steps))
	b.ResetTimer()
	for range b.N {
		if err := d.xnn.runTimed(ns); err != nil {
			b.Fatal(err)
		}
	}
	kinds := map[string]float64{}
	names := []string{"conv", "add", "clamp", "sigmoid", "copy"}
	var total float64
	for i, s := range d.xnn.plan.steps {
		k := names[s.kind]
		if s.kind == stepConv && s.groups > 1 && s.gic == 1 {
			k = "conv-dw"
		} else if s.kind == stepConv && s.kh*s.kw == 1 {
			k = "conv-1x1"
		}
		kinds[k] += ns[i]
		total += ns[i]
	}
	for k, v := range kinds {
		b.ReportMetric(v/1e6/float64(b.N), k+"-ms")
	}
	b.ReportMetric(total/1e6/float64(b.N), "total-ms")
	order := make([]int, len(ns))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(i, j int) bool { return ns[order[i]] > ns[order[j]] })
	for _, i := range order[:12] {
		s := d.xnn.plan.steps[i]
		b.Logf("%6.3f ms  %s  %d×%d k%d s%d groups %d in %d out %d", ns[i]/1e6/float64(b.N), s.node, s.h, s.w, s.kh, s.sh, s.groups, s.groups*s.gic, s.groups*s.goc)
	}
}
