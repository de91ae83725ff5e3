package bench

import (
	"slices"
	"time"

	"github.com/pantau/pantau/agent/pipeline"
)

// LatencyStages says where the analysed frames' time went
// (pipeline.Timing), in milliseconds: the median and 95th percentile of
// each stage, and each stage's mean over the slowest 5 % of frames (those
// at or above the p95 latency), which is what makes the p95.
type LatencyStages struct {
	// Queue: the unit waited for its decoder (arrival to decode start).
	Queue StageMs `json:"queue_ms"`
	// Decode: wall time of the decode call (CPU and waiting for a core).
	Decode StageMs `json:"decode_ms"`
	// Handoff: decoded, waiting for the camera's analysis goroutine.
	Handoff StageMs `json:"handoff_ms"`
	// Analysis: the analysis chain's wall time.
	Analysis StageMs `json:"analysis_ms"`
	// Frames is how many frames were timed; Slowest how many are at or
	// above the p95.
	Frames  int `json:"frames"`
	Slowest int `json:"slowest"`
}

// StageMs is one stage's share of the latency.
type StageMs struct {
	P50     float64 `json:"p50"`
	P95     float64 `json:"p95"`
	Slowest float64 `json:"slowest_mean"`
}

// stageSpans are the four stages of t.
func stageSpans(t pipeline.Timing) [4]time.Duration {
	return [4]time.Duration{
		t.DecodeStart.Sub(t.Arrived), t.Decoded.Sub(t.DecodeStart),
		t.AnalysisStart.Sub(t.Decoded), t.Done.Sub(t.AnalysisStart),
	}
}

// latencyStages summarises timings; nil when there are none.
func latencyStages(timings []pipeline.Timing) *LatencyStages {
	if len(timings) == 0 {
		return nil
	}
	total := make([]time.Duration, len(timings))
	for i, t := range timings {
		total[i] = t.Done.Sub(t.Arrived)
	}
	sorted := slices.Clone(total)
	slices.Sort(sorted)
	p95 := percentile(sorted, 95)
	var out [4]StageMs
	var slow [4]time.Duration
	nslow := 0
	for i, t := range timings {
		if total[i] < p95 {
			continue
		}
		nslow++
		for k, d := range stageSpans(t) {
			slow[k] += d
		}
	}
	for k := range out {
		spans := make([]time.Duration, len(timings))
		for i, t := range timings {
			spans[i] = stageSpans(t)[k]
		}
		slices.Sort(spans)
		out[k] = StageMs{P50: ms(percentile(spans, 50)), P95: ms(percentile(spans, 95)), Slowest: ms(slow[k] / time.Duration(nslow))}
	}
	return &LatencyStages{Queue: out[0], Decode: out[1], Handoff: out[2], Analysis: out[3], Frames: len(timings), Slowest: nslow}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
