package pipeline

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pantau/pantau/vision"
)

func TestRunFile(t *testing.T) {
	cases := []struct {
		name     string
		cfg      Config
		analysed int // vtest: 795 frames at 10 fps, random access every 25
		decoded  int
		mode     string
	}{
		{"full 5fps", Config{Decode: ModeFull}, 398, 795, ModeFull},
		{"auto 5fps is full", Config{}, 398, 795, ModeFull},
		{"keyframes", Config{Decode: ModeKeyframes, AnalysisWidth: 320}, 32, 32, ModeKeyframes},
		// 0.4 fps = the keyframe rate: auto switches to keyframes once it
		// has seen two of them (AUs 0..25 decoded in full first).
		{"auto 0.4fps", Config{FPS: 0.4, NeedColour: true}, 32, 26 + 30, ModeKeyframes},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkMats(t)
			rec := &recorder{}
			var results int
			st, err := RunFile(context.Background(), clipPath(t, "vtest_h264.mp4"), c.cfg, []Analyzer{rec}, func(r *vision.Result) {
				if !r.Motion {
					t.Error("result not filled by the analyzer")
				}
				results++
			})
			if err != nil {
				t.Fatal(err)
			}
			if rec.count() != c.analysed || results != c.analysed || st.Analysed != uint64(c.analysed) {
				t.Errorf("analysed %d frames (%d results, stats %+v), want %d", rec.count(), results, st, c.analysed)
			}
			if st.Decoded != uint64(c.decoded) || st.Mode != c.mode || st.Received != 795 ||
				c.mode == ModeKeyframes && st.Skipped < 795-uint64(c.decoded)-25 {
				t.Errorf("stats %+v, want %d decoded in mode %s", st, c.decoded, c.mode)
			}
			w := c.cfg.AnalysisWidth
			if w == 0 {
				w = 640
			}
			if len(rec.sizes) != 1 || rec.sizes[[2]int{w, w * 3 / 4}] == 0 {
				t.Errorf("frame sizes %v", rec.sizes)
			}
			if c.cfg.NeedColour != (rec.colour == rec.count()) || (!c.cfg.NeedColour && rec.colour != 0) {
				t.Errorf("%d of %d frames had colour, NeedColour %v", rec.colour, rec.count(), c.cfg.NeedColour)
			}
			min := time.Duration(float64(time.Second)/max(c.cfg.FPS, 0)) - time.Millisecond
			for i := 1; i < len(rec.pts); i++ {
				if d := rec.pts[i] - rec.pts[i-1]; d < min && c.cfg.FPS != 0 || d <= 0 {
					t.Fatalf("frames %d and %d only %v apart", i-1, i, d)
				}
				if want := time.Unix(0, 0).Add(rec.pts[i]); !rec.times[i].Equal(want) {
					t.Fatalf("frame time %v, want %v", rec.times[i], want)
				}
			}
		})
	}
}

// TestHundredFPS: a 100-fps stream analysed at 5 fps.
func TestHundredFPS(t *testing.T) {
	checkMats(t)
	p := ffmpegClip(t, t.TempDir(), "100fps.mp4", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=100",
		"-t", "3", "-c:v", "libx264", "-preset", "ultrafast", "-bf", "0", "-g", "100", "-pix_fmt", "yuv420p")
	rec := &recorder{}
	st, err := RunFile(context.Background(), p, Config{}, []Analyzer{rec}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Received != 300 || st.Analysed != 15 || rec.count() != 15 {
		t.Errorf("100 fps for 3 s at 5 fps: %+v", st)
	}
}

func TestRunFileErrors(t *testing.T) {
	cases := []struct {
		path string
		cfg  Config
	}{
		{"missing.mp4", Config{}},
		{clipDir + "vtest_h264.mp4", Config{Decode: "sometimes"}},
		{clipDir + "vtest_h264.mp4", Config{FPS: -1}},
	}
	for _, c := range cases {
		if _, err := RunFile(context.Background(), c.path, c.cfg, nil, nil); err == nil {
			t.Errorf("RunFile(%s, %+v) did not fail", c.path, c.cfg)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := RunFile(ctx, clipPath(t, "vtest_h264.mp4"), Config{}, nil, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled RunFile: %v", err)
	}
}

func TestNewErrors(t *testing.T) {
	for _, c := range []Config{{Codec: "mjpeg"}, {Decode: "half"}, {Queue: -1}, {AnalysisWidth: -5}} {
		if _, err := New(c, nil, nil, nil, nil); err == nil {
			t.Errorf("New(%+v) did not fail", c)
		}
	}
	if _, err := New(Config{}, []Analyzer{nil}, nil, nil, nil); err == nil {
		t.Error("nil analyzer accepted")
	}
}
