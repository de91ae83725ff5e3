package bench

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/analysis"
	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/agent/eval"
	"github.com/pantau/pantau/agent/pipeline"
	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
)

// The loop-filter default (decode.loop_filter) by evidence, on the
// long-GOP low-bitrate 1080p clips of scripts/testdata.sh ("smart codec"
// cameras: 10 s and 30 s between IDRs, H.264 and H.265, with and without
// B-frames): motion false positives on a still scene and counting on
// vtest, for each setting. Figures: docs/performance.md.

var loopFilters = []string{config.LoopFilterSkipAll, config.LoopFilterSkipNonRef, config.LoopFilterNever}

// motionArea counts the analysed frames whose motion area is not 0 (the
// motion analyzer runs before it).
type motionArea struct{ frames, moving int }

func (m *motionArea) Name() string { return "motion-area" }

func (m *motionArea) Analyze(_ *frame.Frame, r *vision.Result) error {
	m.frames++
	if r.MotionArea > 0 {
		m.moving++
	}
	return nil
}

// stillScore is what the motion analyzer saw on a still scene, and what
// the decoder's thread spent per decoded picture.
type stillScore struct {
	frames, moving, starts int
	decodeMs               float64
}

// runClip plays clip (up to limit of it, 0 for all) through cam's chain
// with the loop filter skipped as lf, and returns the events and frame
// counts.
func runClip(t *testing.T, clip string, cam config.Camera, model, lf string, limit time.Duration) (stillScore, []eval.Counted) {
	t.Helper()
	if _, err := os.Stat(clip); err != nil {
		t.Fatalf("clip %s missing: run scripts/testdata.sh (PANTAU_LONG_TESTS=1 scripts/testdata.sh for the long table's clips)", clip)
	}
	chain, err := analysis.Build(cam, analysis.Options{Model: model})
	if err != nil {
		t.Fatal(err)
	}
	defer analysis.Close(chain)
	area := &motionArea{}
	as := append(analysis.Pipeline(chain), area)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Unix(0, 0).UTC()
	var s stillScore
	var counted []eval.Counted
	pc := eval.CameraPipeline(cam)
	pc.LoopFilter = lf
	st, err := pipeline.RunFile(ctx, clip, pc, as, func(r *vision.Result) {
		for _, e := range r.Events {
			if e.Type == vision.EventMotion && e.State == "start" {
				s.starts++
			}
			if c, ok := eval.FromEvent(e, start); ok {
				counted = append(counted, c)
			}
		}
		if limit > 0 && r.Time.Sub(start) >= limit {
			cancel()
		}
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("%s, loop filter %s: %v", clip, lf, err)
	}
	s.frames, s.moving = area.frames, area.moving
	if st.Decoded > 0 {
		s.decodeMs = float64(st.DecodeCPU.Microseconds()) / 1000 / float64(st.Decoded)
	}
	return s, counted
}

// defaultLoopFilter is the agent's default decode.loop_filter (the same
// for every camera, cam whatever).
func defaultLoopFilter(t *testing.T, _ config.Camera) string {
	t.Helper()
	cfg, err := config.Parse([]byte("site: s\ncameras:\n  - {name: c, url: \"rtsp://h/c\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Decode.LoopFilter
}

// parseCamera returns camera name of a config (a file when yaml starts
// with '.' or '/') and the config's detector model.
func parseCamera(t *testing.T, yaml, name string) (config.Camera, string) {
	t.Helper()
	var cfg *config.Config
	var err error
	if yaml[0] == '/' || yaml[0] == '.' {
		cfg, err = config.Load(yaml)
	} else {
		cfg, err = config.Parse([]byte(yaml))
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cfg.Cameras {
		if c.Name == name {
			return c, cfg.Detector.Model
		}
	}
	t.Fatalf("no camera %s", name)
	return config.Camera{}, ""
}

// TestLoopFilterStillScene: on a still scene the default setting gives no
// motion event, and not more moving frames than running the filter on
// every picture. The short version plays the first 35 s (one IDR at 30 s,
// where a drifted picture snaps back) of the 30 s-GOP H.264 clip with
// B-frames; PANTAU_LONG_TESTS=1 plays every still clip whole with every
// setting and logs the table of docs/performance.md.
func TestLoopFilterStillScene(t *testing.T) {
	cam, _ := parseCamera(t, "site: s\ncameras:\n  - {name: still, url: \"rtsp://h/c\"}\n", "still")
	def := defaultLoopFilter(t, cam)
	clips, settings, limit := []string{"lg_still_h264_g30b.mp4"}, []string{def, config.LoopFilterNever}, 35*time.Second
	if os.Getenv("PANTAU_LONG_TESTS") != "" {
		clips = []string{"lg_still_h264_g10.mp4", "lg_still_h264_g30b.mp4", "lg_still_h265_g10b.mp4", "lg_still_h265_g30.mp4"}
		settings, limit = loopFilters, 0
	}
	for _, name := range clips {
		got := map[string]stillScore{}
		for _, lf := range settings {
			s, _ := runClip(t, clipDir+name, cam, "", lf, limit)
			got[lf] = s
			t.Logf("%-24s loop filter skipped on %-6s: %d frames analysed, %d with motion, %d motion events; decoder %.2f ms per picture", name, lf, s.frames, s.moving, s.starts, s.decodeMs)
		}
		d := got[def]
		if d.frames < 100 {
			t.Errorf("%s: only %d frames analysed", name, d.frames)
		}
		if d.starts > 0 || d.moving > got[config.LoopFilterNever].moving {
			t.Errorf("%s: default (%s) saw motion on a still scene: %+v; filter always on: %+v", name, def, d, got[config.LoopFilterNever])
		}
	}
}

// TestLoopFilterCounting: counting on vtest encoded the long-GOP
// low-bitrate way against the busy labels; no setting counts better than
// the default by more than 0.03 F1 (two or three crossings of 84: the
// object detector's differences between settings go both ways up to
// that, see docs/performance.md). The short version compares, for the blob
// detector, the default (all) with the filter always on over the first
// 35 s of the 30 s-GOP H.264 clip with B-frames; PANTAU_LONG_TESTS=1
// plays vtest_h264 and every long-GOP vtest clip whole with every setting
// for the blob detector, and two clips for the default detector (the SSD
// of the pool, run inline as `pantau eval` does), and logs the tables of
// docs/performance.md.
func TestLoopFilterCounting(t *testing.T) {
	type run struct {
		camera string
		clips  []string
	}
	runs, settings, limit := []run{{"vtest-blob", []string{"lg_vtest_h264_g30b.mp4"}}}, []string{config.LoopFilterSkipAll, config.LoopFilterNever}, 35*time.Second
	if os.Getenv("PANTAU_LONG_TESTS") != "" {
		runs = []run{
			{"vtest-blob", []string{"vtest_h264.mp4", "lg_vtest_h264_g10.mp4", "lg_vtest_h264_g30b.mp4", "lg_vtest_h265_g10b.mp4", "lg_vtest_h265_g30.mp4"}},
			{"vtest", []string{"vtest_h264.mp4", "lg_vtest_h264_g30b.mp4"}},
		}
		settings, limit = loopFilters, 0
	}
	truth, err := eval.ReadTruth("../../testdata/truth/vtest_busy.csv")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		countSettings(t, r.camera, r.clips, settings, truth, limit)
	}
}

func countSettings(t *testing.T, camera string, clips, settings []string, truth []eval.Truth, limit time.Duration) {
	cam, model := parseCamera(t, "../../testdata/truth/vtest_busy.yaml", camera)
	def := defaultLoopFilter(t, cam)
	for _, name := range clips {
		f1 := map[string]float64{}
		for _, lf := range settings {
			s, counted := runClip(t, clipDir+name, cam, model, lf, limit)
			ts, cs := eval.Window(truth, counted, 1, limit.Seconds())
			rep := eval.Score(ts, cs, eval.DefaultTolerance)
			f1[lf] = rep.Overall.F1
			t.Logf("%-10s %-24s loop filter skipped on %-6s: F1 %.3f, count error %.3f (%d counted, %d true); decoder %.2f ms per picture", camera, name, lf,
				rep.Overall.F1, rep.Overall.CountError, rep.Overall.Counted, rep.Overall.Truth, s.decodeMs)
		}
		for lf, v := range f1 {
			if f1[def] < v-0.03 {
				t.Errorf("%s %s: default (%s) F1 %.3f, %s %.3f", camera, name, def, f1[def], lf, v)
			}
		}
	}
}
