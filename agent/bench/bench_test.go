package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

const clipDir = "../../testdata/clips/"

func TestRun(t *testing.T) {
	before := matCount()
	clip := clipDir + "vtest_h264.mp4"
	if _, err := os.Stat(clip); err != nil {
		t.Fatalf("test clip %s missing: run scripts/testdata.sh (make testdata)", clip)
	}
	rep, err := Run(context.Background(), Config{
		Clip: clip, Streams: 2, Mode: "full", Duration: 3 * time.Second, Warmup: 1500 * time.Millisecond,
		NaiveMax: 2 * time.Second, RealtimeFloor: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := matCount(); n != before {
		t.Errorf("leaked %d Mats", n-before)
	}
	var buf bytes.Buffer
	if err := rep.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + buf.String())
	if rep.Streams != 2 || len(rep.PerStream) != 2 || rep.Modes["full"] != 2 || !rep.ServerInProcess || len(rep.Errors) != 0 {
		t.Errorf("report %+v", rep)
	}
	// Both streams decode and analyse (the clip is 10 fps, analysis 5 fps).
	for i, s := range rep.PerStream {
		if s.DecodedFPS <= 0 || s.AnalysedFPS <= 0 || s.AnalysedFPS > s.DecodedFPS {
			t.Errorf("stream %d: %+v", i, s)
		}
	}
	if rep.CPUPerFrame <= 0 || rep.FloorCPUPerFrame <= 0 || rep.NaiveCPUPerFrame <= 0 || rep.RatioToFloor <= 0 ||
		rep.NaiveOverPantau <= 0 || rep.RSSTotalBytes <= 0 || rep.LatencyP95Ms <= 0 || rep.LatencyP95Ms < rep.LatencyP50Ms {
		t.Errorf("missing figures: %+v", rep)
	}
	// The stages of the slowest 5 % add up to at least the p95 (each of
	// those frames took at least that long).
	if s := rep.LatencyStages; s == nil || s.Frames == 0 || s.Slowest == 0 ||
		s.Queue.Slowest+s.Decode.Slowest+s.Handoff.Slowest+s.Analysis.Slowest < rep.LatencyP95Ms-0.01 ||
		s.Decode.P50 <= 0 || s.Analysis.P50 <= 0 || s.Queue.P95 < s.Queue.P50 {
		t.Errorf("latency stages %+v, p95 %.1f ms", s, rep.LatencyP95Ms)
	}
	if rep.RealtimeFloorCPUPerFrame <= 0 || rep.DecodeRatioToRealtimeFloor <= 0 {
		t.Errorf("no real-time floor: %+v", rep)
	}
	// The peer: two ffmpeg children at 5 fps each, measured in the same run.
	if rep.PeerCPUPerFrame <= 0 || rep.PantauOverPeer <= 0 || rep.PeerFFmpegCPUS <= 0 || rep.PeerConsumerCPUS <= 0 ||
		rep.PeerAnalysedFPS < 7 || rep.PeerAnalysedFPS > 13 || !strings.Contains(strings.Join(rep.PeerCommand, " "), "-rtsp_transport tcp") {
		t.Errorf("peer figures: %+v", rep)
	}
	if rep.FloorFrames != 795 || !strings.Contains(strings.Join(rep.FloorCommand, " "), "-threads 1 -skip_loop_filter all") {
		t.Errorf("floor %d frames, %v", rep.FloorFrames, rep.FloorCommand)
	}

	buf.Reset()
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"streams", "mode", "analysed_fps", "dropped", "cpu_per_frame_s", "floor_cpu_per_frame_s",
		"naive_cpu_per_frame_s", "ratio_to_floor", "peer_cpu_per_frame_s", "pantau_over_peer", "naive_over_pantau", "rss_per_stream_bytes", "latency_p95_ms", "latency_stages"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []Config{{}, {Clip: "missing.mp4"}, {Clip: clipDir + "vtest_h264.mp4", Mode: "fast"},
		{Clip: clipDir + "vtest_h264.mp4", Streams: -1}} {
		if _, err := Run(context.Background(), c); err == nil {
			t.Errorf("Run(%+v) did not fail", c)
		}
	}
}
