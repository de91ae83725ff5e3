package decode

import (
	"os"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/pantau/pantau/vision/clip"
)

// TestLoopFilterDrift measures what skipping the loop filter costs in
// picture fidelity: each setting's pictures against the exact decode
// (filter on every picture, as the encoder reconstructs), as the mean
// absolute difference of the gray analysis picture (640 px wide) over all
// pictures and its largest value within a GOP (drift grows until the next
// keyframe), with the decoding time. Figures: docs/performance.md.
func TestLoopFilterDrift(t *testing.T) {
	checkMats(t)
	for _, name := range []string{"cam_ibbp_h264.mp4", "cam_bf4_h265.mp4"} {
		aus, info := loadClip(t, name)
		n := 250 // 10 s, 5 GOPs
		if os.Getenv("PANTAU_LONG_TESTS") == "" {
			n = 75 // 3 s, the first GOP and a half
		}
		aus = aus[:min(n, len(aus))]
		exact := map[time.Duration]gocv.Mat{}
		decodeEach(t, aus, Options{Codec: info.Codec, Exact: true}, func(pts time.Duration, m gocv.Mat) { exact[pts] = m.Clone() })
		results := map[string][2]float64{}
		for _, lf := range []string{"never", "nonref", "all"} {
			diff := gocv.NewMat()
			var sum, worst float64
			n := 0
			took := decodeEach(t, aus, Options{Codec: info.Codec, LoopFilter: lf}, func(pts time.Duration, m gocv.Mat) {
				gocv.AbsDiff(m, exact[pts], &diff)
				d := diff.Mean().Val1
				sum += d
				worst = max(worst, d)
				n++
			})
			diff.Close()
			if n < len(aus)*9/10 {
				t.Fatalf("%s: %d pictures of %d units", name, n, len(aus))
			}
			results[lf] = [2]float64{sum / float64(n), worst}
			t.Logf("%s loop filter skipped on %s: mean diff %.3f, worst %.3f, decode %v for %d pictures", name, lf, sum/float64(n), worst, took.Round(time.Millisecond), n)
		}
		for _, m := range exact {
			m.Close()
		}
		if results["never"][1] != 0 {
			t.Errorf("%s: never skipping differs from the exact decode: %v", name, results["never"])
		}
		if results["nonref"][0] > results["all"][0] {
			t.Errorf("%s: skipping on non-reference pictures drifts more (%v) than on all (%v)", name, results["nonref"], results["all"])
		}
	}
}

// decodeEach decodes every unit (every picture wanted) and calls fn with
// each picture's gray Mat; it returns the time spent in Decode.
func decodeEach(t *testing.T, aus []clip.AccessUnit, opt Options, fn func(time.Duration, gocv.Mat)) time.Duration {
	t.Helper()
	d, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var took time.Duration
	for _, au := range aus {
		start := time.Now()
		f, _ := d.Decode(unit(au), true)
		took += time.Since(start)
		if f != nil {
			fn(f.PTS, f.Gray)
			f.Release()
		}
	}
	return took
}
