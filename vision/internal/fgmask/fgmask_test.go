package fgmask

import (
	"image"
	"image/color"
	"math/rand/v2"
	"testing"

	"gocv.io/x/gocv"

	"github.com/pantau/pantau/vision/internal/testclip"
)

// scene draws a textured 320×240 gray frame, brightness shifted by light,
// with a dark 40×80 "person" at x when x >= 0.
func scene(dst *gocv.Mat, seed uint64, light uint8, x int) {
	r := rand.New(rand.NewPCG(seed, 7))
	buf := make([]byte, 320*240)
	for i := range buf {
		buf[i] = byte(60+r.IntN(40)) + light
	}
	m, _ := gocv.NewMatFromBytes(240, 320, gocv.MatTypeCV8UC1, buf)
	defer m.Close()
	m.CopyTo(dst)
	if x >= 0 {
		gocv.Rectangle(dst, image.Rect(x, 100, x+40, 180), color.RGBA{10, 10, 10, 0}, -1)
	}
}

// TestGlobalChangeRestartsTheModel: when most of the picture changes at
// once (lights on, lens covered, defocus), the frame gives no blobs and the
// model starts again from the new view, so objects are found again within
// a few frames instead of after History frames of false foreground.
func TestGlobalChangeRestartsTheModel(t *testing.T) {
	testclip.CheckMats(t)
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	img := gocv.NewMat()
	defer img.Close()
	apply := func(light uint8, x int) int {
		scene(&img, 1, light, x)
		if err := s.Apply(img); err != nil {
			t.Fatal(err)
		}
		return len(s.Blobs())
	}
	for i := 0; i < 20; i++ {
		apply(0, -1)
	}
	if n := apply(0, 100); n != 1 {
		t.Fatalf("person on the learnt scene: %d blobs, want 1", n)
	}
	if n := apply(80, 110); n != 0 || s.GlobalChanges() != 1 {
		t.Fatalf("lights on: %d blobs and %d global changes, want 0 and 1", n, s.GlobalChanges())
	}
	found := -1
	for i := 0; i < 5 && found < 0; i++ {
		// The model learnt the person where it stood: where it left shows
		// too, so one or two blobs.
		if apply(80, 120+10*i) >= 1 {
			found = i
		}
	}
	if found < 0 {
		t.Fatal("the person was not found again within 5 frames of the lighting change")
	}
	if s.GlobalChanges() != 1 {
		t.Errorf("%d global changes, want 1", s.GlobalChanges())
	}
}

// TestGradualLightChange: light dimming by 25 % over 20 frames never
// leaves blobs (the model restarts from the dimmer view), while a bright
// object on a dark scene — headlights at night — is an object, not a
// change of lighting.
func TestGradualLightChange(t *testing.T) {
	testclip.CheckMats(t)
	// GlobalChange off, so only the lighting criterion can save the frame.
	s, err := New(Config{GlobalChange: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	img := gocv.NewMat()
	defer img.Close()
	for i := 0; i < 20; i++ {
		scene(&img, 1, 60, -1)
		if err := s.Apply(img); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 20; i++ {
		scene(&img, 1, 60, -1)
		img.MultiplyFloat(float32(1 - 0.25*float64(i+1)/20))
		if err := s.Apply(img); err != nil {
			t.Fatal(err)
		}
		if n := len(s.Blobs()); n != 0 {
			t.Fatalf("dimming frame %d: %d blobs", i, n)
		}
	}
	if s.GlobalChanges() == 0 {
		t.Fatal("the dimming was not taken as a change of lighting")
	}

	night, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer night.Close()
	for i := 0; i < 20; i++ {
		scene(&img, 2, 0, -1)
		img.MultiplyFloat(0.3)
		night.Apply(img)
	}
	scene(&img, 2, 0, -1)
	img.MultiplyFloat(0.3)
	gocv.Rectangle(&img, image.Rect(100, 100, 180, 140), color.RGBA{250, 250, 250, 0}, -1)
	night.Apply(img)
	if len(night.Blobs()) != 1 || night.GlobalChanges() != 0 {
		t.Errorf("headlights at night: %d blobs, %d global changes; want 1 and 0", len(night.Blobs()), night.GlobalChanges())
	}
}

// TestWidthShrinksBeforeSubtraction: with Width below the frame's, the
// model runs on the shrunk picture, yet the person's blob has the same
// normalised box (within a shrunk pixel) and Px in the frame's pixels.
func TestWidthShrinksBeforeSubtraction(t *testing.T) {
	testclip.CheckMats(t)
	if _, err := New(Config{Width: -1}); err == nil {
		t.Error("a negative width was accepted")
	}
	img := gocv.NewMat()
	defer img.Close()
	var got [2]Blob
	for i, w := range []int{0, 160} {
		s, err := New(Config{Width: w})
		if err != nil {
			t.Fatal(err)
		}
		for range 20 {
			scene(&img, 1, 0, -1)
			if err := s.Apply(img); err != nil {
				t.Fatal(err)
			}
		}
		scene(&img, 1, 0, 100)
		if err := s.Apply(img); err != nil {
			t.Fatal(err)
		}
		if len(s.Blobs()) != 1 {
			t.Fatalf("width %d: %d blobs, want 1", w, len(s.Blobs()))
		}
		got[i] = s.Blobs()[0]
		if want := image.Pt(320, 240); w == 0 && s.Size() != want || w == 160 && s.Size() != want.Div(2) {
			t.Errorf("width %d: modelled at %v", w, s.Size())
		}
		s.Close()
	}
	full, small := got[0], got[1]
	near := func(a, b, tol float64) bool { return a-b <= tol && b-a <= tol }
	if !near(full.Box.X, small.Box.X, 2.0/160) || !near(full.Box.W, small.Box.W, 2.0/160) ||
		!near(full.Box.Y, small.Box.Y, 2.0/120) || !near(full.Box.H, small.Box.H, 2.0/120) {
		t.Errorf("boxes differ: full %+v, shrunk %+v", full.Box, small.Box)
	}
	// The person is at x 100..140, y 100..180 of the 320×240 frame.
	if p := small.Px; p.Min.X < 96 || p.Min.X > 102 || p.Max.X < 138 || p.Max.X > 144 || p.Min.Y < 96 || p.Max.Y > 184 {
		t.Errorf("Px %v is not in the frame's pixels (person at (100,100)-(140,180))", p)
	}
}
