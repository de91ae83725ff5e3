package decode

import (
	"image"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

// TestPreReducedAreaResize: widths whose ratio to the source is not a
// whole number are shrunk by the integer part first (planes.cpp
// area_resize); the picture stays what one INTER_AREA resize of the full
// picture gives (within the noise), and costs less. 1920×1080 → 600 (ratio 3.2) and → 640
// (3, OpenCV's own fast path, unchanged).
func TestPreReducedAreaResize(t *testing.T) {
	checkMats(t)
	aus, info := loadClip(t, "cam1080_h264.mp4")
	first := func(opt Options) *frameRef {
		d, err := New(opt)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		f, err := d.Decode(unit(aus[0]), true)
		if err != nil || f == nil {
			t.Fatalf("%+v: first frame: %v %v", opt, f, err)
		}
		defer f.Release()
		return &frameRef{gray: f.Gray.Clone()}
	}
	full := first(Options{Codec: info.Codec, AnalysisWidth: 1920})
	defer full.gray.Close()
	for _, w := range []int{600, 640} {
		got := first(Options{Codec: info.Codec, AnalysisWidth: w})
		want := gocv.NewMat()
		size := image.Pt(got.gray.Cols(), got.gray.Rows())
		start := time.Now()
		gocv.Resize(full.gray, &want, size, 0, 0, gocv.InterpolationArea)
		took := time.Since(start)
		d := meanAbsDiff(got.gray, want)
		t.Logf("1920×1080 → %v: mean difference %.3f from one INTER_AREA resize (which took %v)", size, d, took)
		// Both average the same neighbourhoods but with different
		// footprints; on this clip's σ 6 sensor noise that is about one
		// gray level.
		if d > 1.5 {
			t.Errorf("→ %v: differs from INTER_AREA by %.2f per pixel", size, d)
		}
		want.Close()
		got.gray.Close()
	}
}

type frameRef struct{ gray gocv.Mat }
