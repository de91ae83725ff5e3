package decode

import (
	"testing"
)

// TestSoak decodes 10 000 frames (a small clip in a loop, so timestamps
// also jump back at every loop), asks for colour on some, and checks that
// no Mat leaks, the pool stays bounded and steady state allocates nothing.
func TestSoak(t *testing.T) {
	checkMats(t)
	p := ffmpegClip(t, t.TempDir(), "soak.mp4", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
		"-frames:v", "500", "-c:v", "libx264", "-preset", "ultrafast", "-bf", "0", "-g", "25", "-pix_fmt", "yuv420p")
	aus, _ := loadClip(t, p)
	d, err := New(Options{Colour: true, AnalysisWidth: 160})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	i, frames, colour := 0, 0, 0
	step := func() {
		f, err := d.Decode(unit(aus[i%len(aus)]), true)
		i++
		if err != nil {
			t.Fatal(err)
		}
		if f == nil {
			return
		}
		frames++
		if frames%7 == 0 {
			m, err := f.BGR()
			if err != nil || m.Cols() != 160 || m.Rows() != 120 {
				t.Fatalf("frame %d: BGR %dx%d %v", frames, m.Cols(), m.Rows(), err)
			}
			colour++
		}
		f.Release()
	}
	for k := 0; k < 100; k++ {
		step()
	}
	mats := matCount()
	if allocs := testing.AllocsPerRun(2000, step); allocs != 0 {
		t.Errorf("%.2f Go heap allocations per frame in steady state, want 0", allocs)
	}
	for frames < 10000 {
		step()
	}
	if n := matCount(); n != mats {
		t.Errorf("live Mats grew from %d to %d over %d frames", mats, n, frames)
	}
	if s := d.Stats(); s.Errors != 0 || s.Frames != uint64(frames) {
		t.Errorf("stats %+v after %d frames", s, frames)
	}
	t.Logf("%d frames, %d with colour", frames, colour)
}
