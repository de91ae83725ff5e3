package decode

import (
	"errors"
	"image"
	"math"
	"testing"

	"gocv.io/x/gocv"
)

func TestDecodeClips(t *testing.T) {
	cases := []struct {
		clip         string
		width        int
		wantW, wantH int
		frames       int // decode the first frames AUs
	}{
		{"vtest_h264.mp4", 0, 640, 480, 795},
		{"vtest_h265.mp4", 320, 320, 240, 795},
		{"cam1080_h264.mp4", 0, 640, 360, 120},
		{"cam1080_h265.mp4", 4000, 1920, 1080, 120},
	}
	for _, c := range cases {
		t.Run(c.clip, func(t *testing.T) {
			checkMats(t)
			aus, info := loadClip(t, c.clip)
			aus = aus[:c.frames]
			d, err := New(Options{Codec: info.Codec, AnalysisWidth: c.width})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			n := decodeAll(t, d, aus, func(i int, f *frameInfo) {
				if f.W != c.wantW || f.H != c.wantH || f.SrcW != info.Width || f.PTS != aus[i].PTS {
					t.Fatalf("AU %d: frame %+v, want %dx%d from width %d, pts %v", i, f, c.wantW, c.wantH, info.Width, aus[i].PTS)
				}
				if f.Mean < 20 || f.Mean > 235 {
					t.Fatalf("AU %d: implausible mean luma %.1f", i, f.Mean)
				}
			})
			if n != c.frames {
				t.Errorf("%d frames, want %d (stats %+v)", n, c.frames, d.Stats())
			}
			if s := d.Stats(); s.Errors != 0 || s.Frames != uint64(n) {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

// TestLumaMatchesOpenCV checks the gray frame against OpenCV's own decode
// of the same file (BGR → gray → INTER_AREA), in exact mode.
func TestLumaMatchesOpenCV(t *testing.T) {
	checkMats(t)
	aus, _ := loadClip(t, "vtest_h264.mp4")
	d, err := New(Options{Exact: true, Colour: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	f, err := d.Decode(unit(aus[0]), true)
	if err != nil || f == nil {
		t.Fatalf("first frame: %v %v", f, err)
	}
	defer f.Release()

	vc, err := gocv.VideoCaptureFile(clipDir + "vtest_h264.mp4")
	if err != nil {
		t.Fatal(err)
	}
	defer vc.Close()
	bgr := gocv.NewMat()
	defer bgr.Close()
	if !vc.Read(&bgr) {
		t.Fatal("OpenCV could not read the clip")
	}
	size := image.Pt(f.Gray.Cols(), f.Gray.Rows())
	want := gocv.NewMat()
	defer want.Close()
	gocv.CvtColor(bgr, &want, gocv.ColorBGRToGray)
	gocv.Resize(want, &want, size, 0, 0, gocv.InterpolationArea)
	// The luma plane is limited range (16–235); OpenCV's gray is full range.
	full := gocv.NewMat()
	defer full.Close()
	f.Gray.ConvertToWithParams(&full, gocv.MatTypeCV8U, 255.0/219, -16*255.0/219)
	if d := meanAbsDiff(full, want); d > 1.5 {
		t.Errorf("gray differs from OpenCV's by %.2f per pixel", d)
	}

	got, err := f.BGR()
	if err != nil {
		t.Fatal(err)
	}
	gocv.Resize(bgr, &bgr, size, 0, 0, gocv.InterpolationArea)
	if got.Type() != gocv.MatTypeCV8UC3 || got.Cols() != size.X || got.Rows() != size.Y {
		t.Fatalf("BGR is %v %dx%d", got.Type(), got.Cols(), got.Rows())
	}
	if d := meanAbsDiff(got, bgr); d > 6 {
		t.Errorf("BGR differs from OpenCV's by %.2f per pixel and channel", d)
	}
}

func meanAbsDiff(a, b gocv.Mat) float64 {
	diff := gocv.NewMat()
	defer diff.Close()
	gocv.AbsDiff(a, b, &diff)
	m := diff.Mean()
	n := a.Channels()
	return (m.Val1 + m.Val2 + m.Val3 + m.Val4) / float64(n)
}

func TestNoColourUnlessAsked(t *testing.T) {
	checkMats(t)
	aus, _ := loadClip(t, "vtest_h264.mp4")
	d, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	f, err := d.Decode(unit(aus[0]), true)
	if err != nil || f == nil {
		t.Fatalf("first frame: %v %v", f, err)
	}
	defer f.Release()
	if _, err := f.BGR(); err == nil {
		t.Fatal("BGR worked without Options.Colour")
	}
}

func TestAnalysisSize(t *testing.T) {
	cases := []struct{ w, h, want, gotW, gotH int }{
		{1920, 1080, 0, 640, 360},
		{768, 576, 640, 640, 480},
		{320, 240, 640, 320, 240},
		{7680, 4320, 8000, 1920, 1080},
		{1000, 20000, 640, 0, 0}, // capped by area, checked below
		{641, 361, 641, 640, 360},
		{0, 0, 640, 0, 0},
	}
	for _, c := range cases {
		w, h := AnalysisSize(c.w, c.h, c.want)
		if c.w == 1000 {
			if w*h > MaxAnalysisPixels || w%2 != 0 || math.Abs(float64(h)/float64(w)-20) > 0.2 {
				t.Errorf("AnalysisSize(%d,%d,%d) = %d,%d", c.w, c.h, c.want, w, h)
			}
			continue
		}
		if w != c.gotW || h != c.gotH {
			t.Errorf("AnalysisSize(%d,%d,%d) = %d,%d, want %d,%d", c.w, c.h, c.want, w, h, c.gotW, c.gotH)
		}
	}
}

func TestOptionErrors(t *testing.T) {
	for _, o := range []Options{{Codec: "vp9"}, {AnalysisWidth: -1}, {Threads: -2}, {Frames: -1}, {ReferenceNice: 20}} {
		if d, err := New(o); err == nil {
			d.Close()
			t.Errorf("New(%+v) did not fail", o)
		}
	}
}

func TestPoolExhausted(t *testing.T) {
	checkMats(t)
	aus, _ := loadClip(t, "vtest_h264.mp4")
	d, err := New(Options{Frames: 2})
	if err != nil {
		t.Fatal(err)
	}
	var held []interface{ Release() }
	for i := 0; i < 2; i++ {
		f, err := d.Decode(unit(aus[i]), true)
		if err != nil || f == nil {
			t.Fatalf("AU %d: %v %v", i, f, err)
		}
		held = append(held, f)
	}
	if _, err := d.Decode(unit(aus[2]), true); !errors.Is(err, ErrNoFrame) {
		t.Fatalf("third frame with two held: %v, want ErrNoFrame", err)
	}
	held[0].Release()
	f, err := d.Decode(unit(aus[3]), true)
	if err != nil || f == nil {
		t.Fatalf("after release: %v %v", f, err)
	}
	f.Release()
	// Closing with a frame still out: it is freed when released.
	d.Close()
	held[1].Release()
}
