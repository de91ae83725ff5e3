package decode

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/pantau/pantau/vision/clip"
)

// rtpPayload is a typical RTP payload size: an access unit of n bytes
// travels in about n/rtpPayload packets, and losing any of them loses the
// unit (gortsplib discards a NAL unit with a missing fragment).
const rtpPayload = 1400

// lossyUnits drops each NAL unit with the probability that at least one
// of its packets is lost at packet loss rate p (fixed seed), and access
// units left without a slice, as the RTSP client hands them on.
func lossyUnits(aus []clip.AccessUnit, p float64) []clip.AccessUnit {
	rng := rand.New(rand.NewPCG(5, 5))
	var out []clip.AccessUnit
	for _, au := range aus {
		kept := clip.AccessUnit{PTS: au.PTS, RandomAccess: au.RandomAccess}
		slices := 0
		for _, n := range au.NALUs {
			pkts := (len(n) + rtpPayload - 1) / rtpPayload
			if rng.Float64() < 1-math.Pow(1-p, float64(pkts)) {
				continue
			}
			kept.NALUs = append(kept.NALUs, n)
			if isVCL(false, nalType(false, n)) {
				slices++
			}
		}
		if slices > 0 {
			out = append(out, kept)
		}
	}
	return out
}

// lossResult is what one policy gave under loss: frames handed out, their
// mean absolute difference from the loss-free decode of the same
// picture, and how many differ visibly (mean difference above 3).
type lossResult struct {
	frames, damaged int
	meanDiff        float64
}

// decodeLossy decodes aus (want every picture) at 160 px wide and
// compares each frame with clean[pts].
func decodeLossy(t *testing.T, aus []clip.AccessUnit, keepGoing bool, clean map[time.Duration]gocv.Mat) lossResult {
	d, err := New(Options{AnalysisWidth: 160, KeepGoing: keepGoing})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	diff := gocv.NewMat()
	defer diff.Close()
	var r lossResult
	sum := 0.0
	for _, au := range aus {
		f, _ := d.Decode(unit(au), true)
		if f == nil {
			continue
		}
		if ref, ok := clean[f.PTS]; ok {
			gocv.AbsDiff(f.Gray, ref, &diff)
			m := diff.Mean().Val1
			sum += m
			if m > 3 {
				r.damaged++
			}
			r.frames++
		}
		f.Release()
	}
	if r.frames > 0 {
		r.meanDiff = sum / float64(r.frames)
	}
	return r
}

// TestPacketLossPolicy measures the two ways to go on after a lost
// picture: wait for the next random-access unit (KeepGoing false) or keep
// decoding and drop only flagged pictures (KeepGoing true). It asserts
// what the choice of default rests on; the figures are in
// docs/performance.md (run with -v to see them).
func TestPacketLossPolicy(t *testing.T) {
	checkMats(t)
	aus, _ := loadClip(t, "cam_slices_h264.mp4")
	if os.Getenv("PANTAU_LONG_TESTS") == "" {
		aus = aus[:200] // the whole clip with PANTAU_LONG_TESTS=1
	}
	clean := map[time.Duration]gocv.Mat{}
	d, err := New(Options{AnalysisWidth: 160})
	if err != nil {
		t.Fatal(err)
	}
	for _, au := range aus {
		if f, _ := d.Decode(unit(au), true); f != nil {
			clean[f.PTS] = f.Gray.Clone()
			f.Release()
		}
	}
	d.Close()
	defer func() {
		for _, m := range clean {
			m.Close()
		}
	}()
	for _, loss := range []float64{0.01, 0.05} {
		lossy := lossyUnits(aus, loss)
		wait := decodeLossy(t, lossy, false, clean)
		keep := decodeLossy(t, lossy, true, clean)
		t.Logf("loss %.0f%%: %d of %d units arrive; wait for keyframe: %d frames (%d damaged, mean diff %.2f); keep going: %d frames (%d damaged, mean diff %.2f)",
			loss*100, len(lossy), len(aus), wait.frames, wait.damaged, wait.meanDiff, keep.frames, keep.damaged, keep.meanDiff)
		if keep.frames <= wait.frames || keep.frames < len(aus)/2 {
			t.Errorf("loss %.0f%%: keeping going gave %d frames, waiting %d", loss*100, keep.frames, wait.frames)
		}
		if loss == 0.01 && keep.meanDiff > 2 {
			t.Errorf("loss 1%%: keeping going damaged the pictures by %.2f on average", keep.meanDiff)
		}
	}
}
