package detpool

import (
	"image"
	"image/color"
	"slices"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/motion"
)

// warming stands in for the motion analyzer during its warm-up: no blobs
// for the first n frames, whatever moves.
type warming struct {
	fixedBlobs
	frames *int
	n      int
}

func (w warming) Warm() bool { return *w.frames >= w.n }

func TestTiles(t *testing.T) {
	cases := []struct {
		w, h, size int
		want       []image.Rectangle
	}{
		{640, 480, 300, []image.Rectangle{
			image.Rect(0, 0, 300, 300), image.Rect(170, 0, 470, 300), image.Rect(340, 0, 640, 300),
			image.Rect(0, 180, 300, 480), image.Rect(170, 180, 470, 480), image.Rect(340, 180, 640, 480)}},
		{300, 300, 300, []image.Rectangle{image.Rect(0, 0, 300, 300)}},
		{200, 120, 300, []image.Rectangle{image.Rect(0, 0, 200, 120)}},
		{600, 300, 300, []image.Rectangle{image.Rect(0, 0, 300, 300), image.Rect(300, 0, 600, 300)}},
	}
	for _, c := range cases {
		got := tiles(c.w, c.h, c.size)
		if len(got) != len(c.want) {
			t.Errorf("%d×%d: %v, want %v", c.w, c.h, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%d×%d: tile %d %v, want %v", c.w, c.h, i, got[i], c.want[i])
			}
		}
	}
}

// While motion warms up (and reports nothing) the client sweeps the frame
// in tiles at the model's scale, within its rate, each pass inspecting
// only its tiles, and only tiles that changed since the previous frame:
// on a still scene the first tile is all the warm-up costs; a walker makes
// the tiles it is in be looked at again. Once warm, a still scene asks
// nothing until the next periodic full pass.
func TestWarmUpSweep(t *testing.T) {
	w, h := 640, 480
	cases := []struct {
		name  string
		paint func(f gocv.Mat, n int) // frame n's picture
		// want: inferences during the warm-up, and the distinct tiles
		// (of 6) they inspected
		infers, tiles int
	}{
		{"everything changes", func(f gocv.Mat, n int) { f.SetTo(gocv.NewScalar(float64(100+50*(n%2)), 0, 0, 0)) }, 10, 6},
		{"still", func(gocv.Mat, int) {}, 1, 1},
		// A walker in the top right tile only (x 340–640, y 0–300 and no
		// other): tile 0 first, then that one whenever it moved.
		{"one walker", func(f gocv.Mat, n int) {
			gocv.Rectangle(&f, image.Rect(500+4*n, 50, 530+4*n, 130), color.RGBA{R: 30, G: 30, B: 30}, -1)
		}, 10, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := &gated{person: true}
			n := 0
			c := NewInline(g, ClientConfig{Camera: "c", MaxRate: 5}, warming{frames: &n, n: 10}, newRec())
			defer c.Close()
			var inspected []vision.Rect
			for n = 0; n < 25; n++ { // 5 s at 5 fps: 2 s of warm-up
				f := grayFrame(w, h, t0.Add(time.Duration(n)*200*time.Millisecond))
				tc.paint(f.Gray, n)
				var r vision.Result
				if err := c.Analyze(f, &r); err != nil {
					t.Fatal(err)
				}
				f.Close()
				if n == 0 && (r.Coast || len(r.Inspected) != 1) {
					t.Fatalf("first warm-up frame: coast %v, inspected %v: want a pass over one tile", r.Coast, r.Inspected)
				}
				inspected = append(inspected, r.Inspected...)
			}
			served := g.served()
			if len(served) != tc.infers {
				t.Errorf("%d inferences, want %d", len(served), tc.infers)
			}
			for _, wd := range served {
				if wd != 300 {
					t.Errorf("a tile %d px wide, want 300 (the model's scale)", wd)
				}
			}
			seen := map[vision.Rect]bool{}
			for _, r := range inspected {
				seen[r] = true
			}
			if len(seen) != tc.tiles {
				t.Errorf("%d distinct tiles inspected, want %d", len(seen), tc.tiles)
			}
		})
	}
}

// switchable is a motion stand-in whose blobs the test turns on and off.
type switchable struct{ blobs *[]motion.Blob }

func (s switchable) Blobs(time.Time) ([]motion.Blob, bool) { return *s.blobs, true }

// On a scene where nothing moves the periodic full pass would see what the
// last one saw: its gap doubles up to six times FullEvery, and the first
// motion brings it back to FullEvery.
func TestStillSceneStretchesTheFullPass(t *testing.T) {
	g := &gated{}
	w, h := 640, 480
	var blobs []motion.Blob
	c := NewInline(g, ClientConfig{Camera: "c", MaxRate: 5}, switchable{&blobs}, newRec())
	defer c.Close()
	var fullAt []float64         // seconds of the whole-frame passes
	for n := 0; n < 5*400; n++ { // 400 s at 5 fps
		sec := float64(n) / 5
		blobs = nil
		if sec >= 300 { // someone walks in at 300 s, far from the frame's edges
			blobs = []motion.Blob{blob(image.Rect(300, 200, 330, 260), w, h)}
		}
		before := len(g.served())
		f := grayFrame(w, h, t0.Add(time.Duration(n)*200*time.Millisecond))
		var r vision.Result
		if err := c.Analyze(f, &r); err != nil {
			t.Fatal(err)
		}
		f.Close()
		for _, wd := range g.served()[before:] {
			if wd == w {
				fullAt = append(fullAt, sec)
			}
		}
	}
	t.Logf("whole-frame passes at %v s", fullAt)
	var still, moving []float64
	for _, s := range fullAt {
		if s < 300 {
			still = append(still, s)
		} else {
			moving = append(moving, s)
		}
	}
	// 0, then gaps of 20, 40, 60, 60…: 0 20 60 120 180 240.
	if want := []float64{0, 20, 60, 120, 180, 240}; !slices.Equal(still, want) {
		t.Errorf("still scene: whole-frame passes at %v s, want %v", still, want)
	}
	if len(moving) < 9 || moving[0] > 300 {
		t.Errorf("with motion from 300 s: whole-frame passes at %v s, want one at once and then every 10 s", moving)
	}
}

// sized is a model stand-in that tells its input size (as *detect.DNN
// does).
type sized struct {
	*gated
	side int
}

func (s sized) InputSize() (int, int) { return s.side, s.side }

// Crops are cut at the model's input size when the model tells it (so a
// person is seen at the scale the model works at), else at 300.
func TestCropsFollowTheModelsInputSize(t *testing.T) {
	w, h := 640, 480
	motion := fixedBlobs{[]motion.Blob{blob(image.Rect(300, 200, 330, 260), w, h)}}
	for _, c := range []struct {
		inf  Inferer
		want int
	}{
		{sized{&gated{}, 224}, 224},
		{sized{&gated{}, 160}, 160},
		{&gated{}, 300},
	} {
		cl := NewInline(c.inf, ClientConfig{Camera: "c", MaxRate: 5}, motion, nil)
		// The first frame is the full pass; the second has the motion.
		for k := range 2 {
			f := grayFrame(w, h, t0.Add(time.Duration(k)*200*time.Millisecond))
			var r vision.Result
			if err := cl.Analyze(f, &r); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
		cl.Close()
		var g *gated
		switch m := c.inf.(type) {
		case sized:
			g = m.gated
		case *gated:
			g = m
		}
		if got := g.served(); len(got) != 2 || got[0] != w || got[1] != c.want {
			t.Errorf("model input %d: crops %v wide, want the full frame (%d) then one crop of %d", c.want, got, w, c.want)
		}
	}
}
