package decode

import (
	"math"
	"testing"
)

// TestSaturation decodes the first 15 s of the day → infrared → day clip:
// colour frames measure about vtest's saturation (signalstats' SATAVG is
// 17.0–17.3 on them), the night (from 10 s, hue=s=0) measures 0, and the
// value is there without Options.Colour.
func TestSaturation(t *testing.T) {
	checkMats(t)
	aus, _ := loadClip(t, "daynight_h264.mp4")
	d, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var day, night []float64
	for i, au := range aus[:150] {
		f, err := d.Decode(unit(au), true)
		if err != nil {
			t.Fatalf("AU %d: %v", i, err)
		}
		if f == nil {
			continue
		}
		s := au.PTS.Seconds()
		switch {
		case s < 9.95 || s > 70.05:
			day = append(day, f.Saturation)
		case s > 10.05 && s < 69.95:
			night = append(night, f.Saturation)
		}
		f.Release()
	}
	lo, hi := minMax(day)
	t.Logf("day: saturation %.2f–%.2f over %d frames", lo, hi, len(day))
	if len(day) < 95 || lo < 14 || hi > 20 {
		t.Errorf("day: %d frames, saturation %.2f–%.2f, want 14–20 (SATAVG ≈ 17)", len(day), lo, hi)
	}
	lo, hi = minMax(night)
	t.Logf("night: saturation %.2f–%.2f over %d frames", lo, hi, len(night))
	if len(night) < 45 || lo < 0 || hi > 0.5 {
		t.Errorf("night: %d frames, saturation %.2f–%.2f, want 0–0.5", len(night), lo, hi)
	}
}

func minMax(v []float64) (float64, float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range v {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return lo, hi
}
