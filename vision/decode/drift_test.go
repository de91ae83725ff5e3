package decode

import (
	"os"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

// TestLongGOPDrift (PANTAU_LONG_TESTS=1): how far the pictures of each
// loop filter setting drift from the exact decode on the long-GOP
// low-bitrate clips of scripts/testdata.sh, up to the 30 s IDR and past
// it: the mean absolute difference of the gray analysis picture (640 px
// wide) over the clip, the worst picture, and the worst jump between
// consecutive pictures' differences (the snap back at an IDR). The exact
// and the tested decoder run side by side, so only a few pictures are
// held at a time. Figures: docs/performance.md.
func TestLongGOPDrift(t *testing.T) {
	if os.Getenv("PANTAU_LONG_TESTS") == "" {
		t.Skip("long: PANTAU_LONG_TESTS=1 (the short drift check is TestLoopFilterDrift)")
	}
	checkMats(t)
	for _, name := range []string{"lg_still_h264_g30b.mp4", "lg_still_h265_g30.mp4", "lg_vtest_h264_g30b.mp4", "lg_vtest_h265_g30.mp4"} {
		aus, info := loadClip(t, name)
		for _, lf := range []string{"nonref", "all"} {
			exact, err := New(Options{Codec: info.Codec, Exact: true})
			if err != nil {
				t.Fatal(err)
			}
			d, err := New(Options{Codec: info.Codec, LoopFilter: lf})
			if err != nil {
				t.Fatal(err)
			}
			held := map[time.Duration]gocv.Mat{}
			diff := gocv.NewMat()
			var sum, worst, jump, last float64
			n := 0
			for _, au := range aus {
				if f, _ := exact.Decode(unit(au), true); f != nil {
					held[f.PTS] = f.Gray.Clone()
					f.Release()
				}
				f, _ := d.Decode(unit(au), true)
				if f == nil {
					continue
				}
				if m, ok := held[f.PTS]; ok {
					gocv.AbsDiff(f.Gray, m, &diff)
					v := diff.Mean().Val1
					sum += v
					worst = max(worst, v)
					if n > 0 {
						jump = max(jump, last-v)
					}
					last = v
					n++
					m.Close()
					delete(held, f.PTS)
				}
				f.Release()
			}
			for _, m := range held {
				m.Close()
			}
			diff.Close()
			exact.Close()
			d.Close()
			if n < len(aus)*9/10 {
				t.Fatalf("%s %s: %d pictures compared of %d units", name, lf, n, len(aus))
			}
			t.Logf("%-24s loop filter skipped on %-6s: mean diff %.3f, worst %.3f, largest drop between pictures %.3f (%d pictures)", name, lf, sum/float64(n), worst, jump, n)
		}
	}
}
