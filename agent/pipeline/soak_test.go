package pipeline

import (
	"testing"
	"time"
)

// TestSoak sends 10 000 frames through the whole path (queue, decoder,
// hand-off, analyzer) and checks that no Mat leaks and nothing is lost
// other than frames replaced in the hand-off.
func TestSoak(t *testing.T) {
	checkMats(t)
	p := ffmpegClip(t, t.TempDir(), "soak.mp4", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=100",
		"-frames:v", "10000", "-c:v", "libx264", "-preset", "ultrafast", "-bf", "0", "-g", "50", "-pix_fmt", "yuv420p")
	aus, _ := loadClip(t, p)
	if len(aus) != 10000 {
		t.Fatalf("%d access units, want 10000", len(aus))
	}
	rec := &recorder{}
	pl, err := New(Config{FPS: 1000, NeedColour: true}, []Analyzer{rec}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	mats := matCount()
	stop := start(t, pl)
	pushAll(pl, aus, 0)
	waitIdle(t, pl)
	// Frames are pooled: a handful of Mats per pooled frame, not per frame.
	if n := matCount() - mats; n > 4*5 {
		t.Errorf("%d Mats live while running", n)
	}
	stop()
	st := pl.Stats()
	if st.Decoded != 10000 || st.Analysed+st.Dropped[DropAnalyzerBusy] != 10000 || st.DecodeErrors != 0 ||
		st.Dropped[DropQueueFull]+st.Dropped[DropNoFrame] != 0 {
		t.Errorf("stats %+v", st)
	}
	if rec.colour != rec.count() {
		t.Errorf("%d of %d frames with colour", rec.colour, rec.count())
	}
	t.Logf("%d frames decoded, %d analysed, latency p95 %v", st.Decoded, st.Analysed, st.LatencyP95.Round(time.Microsecond))
}
