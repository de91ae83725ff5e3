package fgmask

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"

	"gocv.io/x/gocv"

	"github.com/pantau/pantau/vision/internal/testclip"
)

// noisyScene draws frame i of a 320×240 scene: fixed texture plus fresh
// sensor noise (σ ≈ 3), a patch that slowly brightens from frame 150 on
// (a shadow leaving), and a dark 24×48 "person" walking across from frame
// 400 to 440.
func noisyScene(dst *gocv.Mat, i int) {
	tex := rand.New(rand.NewPCG(1, 7))
	noise := rand.New(rand.NewPCG(uint64(i)+100, 9))
	buf := make([]byte, 320*240)
	for p := range buf {
		v := 60 + tex.Float64()*40 + noise.NormFloat64()*3
		if x, y := p%320, p/320; x >= 200 && x < 280 && y >= 20 && y < 80 && i > 150 {
			v += min(float64(i-150)*0.15, 30) // 0.15 level a frame, up to 30
		}
		buf[p] = byte(max(0, min(255, math.Round(v))))
	}
	m, _ := gocv.NewMatFromBytes(240, 320, gocv.MatTypeCV8UC1, buf)
	defer m.Close()
	m.CopyTo(dst)
	if i >= 400 && i < 440 {
		x := 20 + (i-400)*6
		gocv.Rectangle(dst, image.Rect(x, 120, x+24, 168), color.RGBA{10, 10, 10, 0}, -1)
	}
}

// TestStillFramesSkipTheModel: on a still camera most frames skip MOG2
// (the cost of a still scene), yet what the model finds is what it finds
// modelling every frame: the slowly brightening patch is learnt as fast
// (catch-up learning rate), so it gives no more false motion, and the
// walker is found from the same frame on, in the same places.
func TestStillFramesSkipTheModel(t *testing.T) {
	testclip.CheckMats(t)
	every, err := New(Config{StillDiff: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer every.Close()
	gated, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer gated.Close()
	img := gocv.NewMat()
	defer img.Close()
	var falseEvery, falseGated, firstEvery, firstGated, walkerDiff int
	firstEvery, firstGated = -1, -1
	for i := range 460 {
		noisyScene(&img, i)
		if err := every.Apply(img); err != nil {
			t.Fatal(err)
		}
		if err := gated.Apply(img); err != nil {
			t.Fatal(err)
		}
		a, b := every.Blobs(), gated.Blobs()
		if i < 400 {
			falseEvery += len(a)
			falseGated += len(b)
			continue
		}
		if i < 440 {
			if firstEvery < 0 && len(a) > 0 {
				firstEvery = i
			}
			if firstGated < 0 && len(b) > 0 {
				firstGated = i
			}
			if len(a) != len(b) || (len(a) > 0 && !within(a[0].Px, b[0].Px, 2)) {
				walkerDiff++
				t.Logf("frame %d: every %v, gated %v", i, pxs(a), pxs(b))
			}
		}
	}
	t.Logf("still frames skipped %d of 460; false blobs before the walker: every frame %d, gated %d; walker first found at %d / %d, %d frames differ",
		gated.Stills(), falseEvery, falseGated, firstEvery, firstGated, walkerDiff)
	if every.Stills() != 0 {
		t.Errorf("StillDiff -1 skipped %d frames, want 0", every.Stills())
	}
	if gated.Stills() < 200 {
		t.Errorf("only %d of 460 frames skipped the model on a still scene, want most", gated.Stills())
	}
	if falseGated > falseEvery+2 {
		t.Errorf("gated model: %d false blobs on the still scene, modelling every frame %d", falseGated, falseEvery)
	}
	if firstGated != 400 || firstEvery != 400 {
		t.Errorf("walker first found at frame %d (gated) and %d (every frame), want 400 for both", firstGated, firstEvery)
	}
	if walkerDiff > 0 {
		t.Errorf("%d of 40 frames of the walker differ between the gated and the full model", walkerDiff)
	}
}

// TestCatchUpRate: one frame learnt after n skipped ones weighs what n+1
// frames learnt one by one at OpenCV's rates would.
func TestCatchUpRate(t *testing.T) {
	if r := catchUpRate(300, 0, 500); math.Abs(r-1.0/500) > 1e-12 {
		t.Errorf("no frame skipped at frame 300: rate %g, want OpenCV's 1/500", r)
	}
	if r := catchUpRate(30, 0, 500); math.Abs(r-1.0/60) > 1e-12 {
		t.Errorf("no frame skipped at frame 30: rate %g, want OpenCV's 1/60", r)
	}
	want := 1 - math.Pow(1-1.0/500, 10)
	if r := catchUpRate(1000, 9, 500); math.Abs(r-want) > 1e-12 {
		t.Errorf("9 skipped at frame 1000: rate %g, want %g", r, want)
	}
	if r := catchUpRate(1e6, 1e5, 500); r >= 1 || r < 0.99 {
		t.Errorf("a long still spell: rate %g, want just under 1 (1 restarts the model)", r)
	}
}

func pxs(bs []Blob) []image.Rectangle {
	var out []image.Rectangle
	for _, b := range bs {
		out = append(out, b.Px)
	}
	return out
}

// within reports whether a and b differ by at most d pixels on every edge.
func within(a, b image.Rectangle, d int) bool {
	abs := func(v int) int { return max(v, -v) }
	return abs(a.Min.X-b.Min.X) <= d && abs(a.Min.Y-b.Min.Y) <= d && abs(a.Max.X-b.Max.X) <= d && abs(a.Max.Y-b.Max.Y) <= d
}
