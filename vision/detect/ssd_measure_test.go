package detect

import (
	"os"
	"testing"
)

// Letterbox or stretch: persons and cars found with a score ≥ 0.5 on every
// 20th frame of vtest (40 frames), both ways. The default model stretches,
// as its own graph does and as counting measured better (models/README.md);
// both ways must keep finding the walkers and the parked cars.
// Long (≈ 80 inferences): PANTAU_LONG_TESTS=1.
func TestSSDLetterboxVsStretch(t *testing.T) {
	if os.Getenv("PANTAU_LONG_TESTS") != "1" {
		t.Skip("long test: set PANTAU_LONG_TESTS=1 (TestSSDFindsWalkersAndCars is the short version)")
	}
	checkMats(t)
	var at []int
	for i := 0; i < 795; i += 20 {
		at = append(at, i)
	}
	frames := vtestFrames(t, at...)
	defer closeAll(frames)
	found := map[bool][2]int{} // stretch → persons, cars
	for _, stretch := range []bool{false, true} {
		d := openDefault(t, func(c *DNNConfig) { c.Stretch = stretch })
		for _, img := range frames {
			dets, err := d.Infer(img)
			if err != nil {
				d.Close()
				t.Fatal(err)
			}
			f := found[stretch]
			f[0] += count(dets, "person", 0.5)
			f[1] += count(dets, "car", 0.5)
			found[stretch] = f
		}
		d.Close()
	}
	t.Logf("on %d frames, persons ≥ 0.5 / cars ≥ 0.5: letterbox %d / %d, stretch %d / %d",
		len(frames), found[false][0], found[false][1], found[true][0], found[true][1])
	for stretch, f := range found {
		// Measured: 205 / 77 letterboxed, 201 / 80 stretched.
		if f[0] < 180 || f[1] < 70 {
			t.Errorf("stretch %v: %d persons, %d cars, want ≥ 180 and ≥ 70", stretch, f[0], f[1])
		}
	}
}
