package tamper

import (
	"testing"
	"time"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
	"github.com/pantau/pantau/vision/internal/testclip"
)

// BenchmarkAnalyze measures one analysed frame (640 wide, a real vtest
// picture): Interval is set to zero so every call does the full work.
func BenchmarkAnalyze(b *testing.B) {
	d, err := New(Config{Interval: time.Nanosecond})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	benchOneFrame(b, false, d.Analyze)
}

// BenchmarkViewWatch measures the view watcher on one frame (640 wide, a
// real vtest picture), the cost every analysed frame pays.
func BenchmarkViewWatch(b *testing.B) {
	w, err := NewViewWatch(ViewConfig{})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	benchOneFrame(b, true, w.Analyze)
}

// benchOneFrame times analyze on vtest's first picture (640 wide), each
// call 100 ms after the last; withSat gives the frame the saturation the
// decoder measures (the view watcher reads it).
func benchOneFrame(b *testing.B, withSat bool, analyze func(*frame.Frame, *vision.Result) error) {
	rd, err := testclip.Open(vtest, 640)
	if err != nil {
		b.Fatal(err)
	}
	defer rd.Close()
	f := frame.New(nil, nil)
	defer f.Close()
	t0 := time.Unix(0, 0)
	if _, ok := rd.Next(&f.Gray, t0); !ok {
		b.Fatal("no frame")
	}
	if withSat {
		f.Saturation = rd.Saturation()
	}
	var r vision.Result
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f.Time = t0.Add(time.Duration(i) * 100 * time.Millisecond)
		r.Reset(f.Time)
		if err := analyze(f, &r); err != nil {
			b.Fatal(err)
		}
	}
}
