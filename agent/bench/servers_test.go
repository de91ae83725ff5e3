package bench

import (
	"slices"
	"testing"
	"time"

	"github.com/pantau/pantau/vision/clip"
)

// TestStartFrames: independent cameras' keyframes and analysed pictures
// are spread over the GOP and the analysis interval; --aligned (and one
// stream) keeps one camera for all.
func TestStartFrames(t *testing.T) {
	// 25 fps, a keyframe every 50 frames, analysed at 5 fps: k = 5.
	c := clipCounts{info: clip.Info{FPS: 25}}
	for i := range 200 {
		c.isKey = append(c.isKey, i%50 == 0)
	}
	if g := c.gopFrames(); g != 50 {
		t.Fatalf("gop %d frames, want 50", g)
	}
	got := startFrames(Config{Streams: 10, FPS: 5}, c)
	if want := []int{0, 6, 12, 18, 24, 25, 31, 37, 43, 49}; !slices.Equal(got, want) {
		t.Errorf("start frames %v, want %v", got, want)
	}
	// Every keyframe phase differs, and each analysis phase (frame mod 5)
	// is used by two of the ten streams.
	phases := map[int]int{}
	for _, f := range got {
		phases[f%5]++
	}
	if len(phases) != 5 {
		t.Errorf("analysis phases %v: want all five", phases)
	}
	if s := startFrames(Config{Streams: 10, FPS: 5, Aligned: true}, c); s != nil {
		t.Errorf("aligned: %v", s)
	}
	if s := startFrames(Config{Streams: 1, FPS: 5}, c); s != nil {
		t.Errorf("one stream: %v", s)
	}
	// An all-intra clip has nothing to spread.
	if s := startFrames(Config{Streams: 3, FPS: 5}, clipCounts{isKey: []bool{true, true, true}}); s != nil {
		t.Errorf("all keyframes: %v", s)
	}
}

// TestStaggeredStreams: two streams each get their own simulated camera,
// one of them started mid-GOP, and both decode and analyse.
func TestStaggeredStreams(t *testing.T) {
	rep, err := Run(t.Context(), Config{
		Clip: clipDir + "vtest_h264.mp4", Streams: 2, Mode: "full", Duration: time.Second, Warmup: 500 * time.Millisecond,
		NoPeer: true, NoFloor: true, NoNaive: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Aligned || len(rep.StartFrames) != 2 || rep.StartFrames[1] == 0 {
		t.Errorf("aligned %v, start frames %v", rep.Aligned, rep.StartFrames)
	}
	for i, s := range rep.PerStream {
		if s.DecodedFPS <= 0 || s.AnalysedFPS <= 0 {
			t.Errorf("stream %d: %+v", i, s)
		}
	}
}
