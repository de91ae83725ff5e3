package detect

import (
	"image"
	"syscall"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

// cpuTime is the process's user + system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSSD measures the default model on a 768×576 vtest frame, side
// by side in one run (the machine may be shared: compare the ratios):
//
//	forward   letterbox + blobFromImage + cv::dnn forward (the baseline)
//	net300    the same on a 300×300 picture: the network alone, no resize
//	decode    what Pantau adds after the forward: anchored decoding, NaN
//	          check, NMS, boxes back to the frame (on the same outputs)
//	infer     Infer: forward + decode (the model's default: stretch)
//	letterbox Infer with the frame letterboxed instead
//	1thread   Infer with OpenCV on one thread (what a pool worker does)
//
// go test -tags matprofile -run XXX -bench SSD -benchtime 40x ./vision/detect
func BenchmarkSSD(b *testing.B) {
	frames := vtestFrames(b, 300)
	defer closeAll(frames)
	img := frames[0]
	run := func(name string, stretch bool, f func(d *DNN) error) {
		b.Run(name, func(b *testing.B) {
			d := openDefault(b, func(c *DNNConfig) { c.Stretch = c.Stretch && stretch })
			defer d.Close()
			if err := f(d); err != nil { // warm-up: OpenCV allocates on the first run
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			for range b.N {
				if err := f(d); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/inference")
			// CPU time is what the box pays, and it depends less than wall
			// time on what else runs on a shared machine.
			b.ReportMetric((cpuTime()-cpu0).Seconds()*1000/float64(b.N), "cpu-ms/inference")
		})
	}
	run("forward", true, func(d *DNN) error { return d.forward(img) })
	small := gocv.NewMat()
	defer small.Close()
	gocv.Resize(img, &small, image.Pt(300, 300), 0, 0, gocv.InterpolationLinear)
	run("net300", true, func(d *DNN) error { return d.forward(small) })
	run("decode", true, func(d *DNN) error {
		if d.outs == nil {
			if err := d.forward(img); err != nil {
				return err
			}
		}
		d.dets = d.dets[:0]
		if err := d.decodeAnchored(); err != nil {
			return err
		}
		for i := range d.dets {
			d.dets[i].Box = clampRect(d.geo.toImage(d.dets[i].Box))
		}
		nms(d.dets, d.cfg.NMS)
		return nil
	})
	run("infer", true, func(d *DNN) error { _, err := d.Infer(img); return err })
	run("letterbox", false, func(d *DNN) error { _, err := d.Infer(img); return err })
	old := SetOpenCVThreads(1)
	run("1thread", true, func(d *DNN) error { _, err := d.Infer(img); return err })
	SetOpenCVThreads(old)
}
