package detect

import (
	"testing"
	"time"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
	"github.com/pantau/pantau/vision/internal/testclip"
	"github.com/pantau/pantau/vision/motion"
	"gocv.io/x/gocv"
)

// benchFrames loads n gray frames of vtest at 640×480.
func benchFrames(b *testing.B, n int) []gocv.Mat {
	rd, err := testclip.Open(vtest, 640)
	if err != nil {
		b.Fatal(err)
	}
	defer rd.Close()
	frames := make([]gocv.Mat, n)
	for i := range frames {
		frames[i] = gocv.NewMat()
		if _, ok := rd.Next(&frames[i], t0); !ok {
			b.Fatal("clip too short")
		}
	}
	b.Cleanup(func() {
		for _, m := range frames {
			m.Close()
		}
	})
	return frames
}

// benchChain measures, per frame, the analyzer made by mk after the motion
// detector (whose time is excluded: it is measured in vision/motion).
func benchChain(b *testing.B, mk func(m *motion.Detector) analyzer) {
	frames := benchFrames(b, 60)
	m, err := motion.New(motion.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	a := mk(m)
	defer a.Close()
	f := &frame.Frame{}
	var r vision.Result
	r.Detections = make([]vision.Detection, 0, 64)
	r.Events = make([]vision.Event, 0, 4)
	// Warm the background model past motion's warm-up.
	i := 0
	step := func() {
		f.Gray = frames[i%len(frames)]
		f.Time = t0.Add(time.Duration(i) * 100 * time.Millisecond)
		i++
		r.Reset(f.Time)
		if err := m.Analyze(f, &r); err != nil {
			b.Fatal(err)
		}
	}
	for range 20 {
		step()
	}
	dets := 0
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		step()
		b.StartTimer()
		if err := a.Analyze(f, &r); err != nil {
			b.Fatal(err)
		}
		dets += len(r.Detections)
	}
	b.ReportMetric(float64(dets)/float64(b.N), "dets/frame")
}

func BenchmarkBlob(b *testing.B) {
	benchChain(b, func(m *motion.Detector) analyzer {
		d, err := NewBlobDetector(BlobConfig{}, m)
		if err != nil {
			b.Fatal(err)
		}
		return d
	})
}

func BenchmarkHOG(b *testing.B) {
	benchChain(b, func(m *motion.Detector) analyzer {
		d, err := NewHOG(HOGConfig{Budget: time.Second}, m)
		if err != nil {
			b.Fatal(err)
		}
		return d
	})
}

// BenchmarkDNNSelftest measures the DNN path (colour conversion,
// blobFromImage, forward, decoding, NMS) with the tiny self-test model, so
// it shows Pantau's overhead around a network, not a network's cost.
func BenchmarkDNNSelftest(b *testing.B) {
	m, err := ReadManifest(manifestPath)
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := m.DNNConfig("pantau-selftest")
	if err != nil {
		b.Fatal(err)
	}
	d, err := NewDNN(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	frames := benchFrames(b, 1)
	f := &frame.Frame{Gray: frames[0], Time: t0}
	var r vision.Result
	r.Detections = make([]vision.Detection, 0, 8)
	b.ReportAllocs()
	for range b.N {
		r.Reset(t0)
		if err := d.Analyze(f, &r); err != nil {
			b.Fatal(err)
		}
	}
}
