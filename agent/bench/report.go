package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"strings"
)

// Report is the result of a Run. JSON names are stable: scripts and
// docs/performance.md read them.
type Report struct {
	Clip       string  `json:"clip"`
	Codec      string  `json:"codec"`
	Width      int     `json:"width"`
	Height     int     `json:"height"`
	ClipFPS    float64 `json:"clip_fps"`
	Machine    string  `json:"machine"`
	Streams    int     `json:"streams"`
	Mode       string  `json:"mode"`
	FPS        float64 `json:"fps"`
	LoopFilter string  `json:"loop_filter,omitempty"`
	// ReferenceNice is how much nicer the threads decoding pictures that
	// are not analysed ran (0: one decoding thread per stream).
	ReferenceNice int `json:"reference_nice"`
	// Rounds is how many Pantau and peer windows alternated; the figures
	// are sums over them.
	Rounds          int  `json:"rounds"`
	ServerInProcess bool `json:"server_in_process"`
	// Aligned: several streams served from one simulated camera, their
	// keyframes at the same instant (--aligned). Otherwise StartFrames
	// says at which frame of the clip each stream's camera started.
	Aligned     bool  `json:"streams_aligned"`
	StartFrames []int `json:"start_frames,omitempty"`
	// ServerCPUS is the child RTSP server's CPU time over its whole life.
	ServerCPUS float64 `json:"server_cpu_s,omitempty"`
	// LoadAverage is the machine's 1-minute load average before the run.
	LoadAverage float64 `json:"load_average"`
	DurationS   float64 `json:"duration_s"`

	// Modes counts the streams in each decode mode at the end.
	Modes           map[string]int    `json:"modes"`
	DecodedFPS      float64           `json:"decoded_fps"`
	AnalysedFPS     float64           `json:"analysed_fps"`
	Dropped         uint64            `json:"dropped"`
	DroppedByReason map[string]uint64 `json:"dropped_by_reason"`

	// CPU of this process over the measured window, all streams.
	CPUS               float64 `json:"cpu_s"`
	CPUCores           float64 `json:"cpu_cores"`
	CPUPerFrame        float64 `json:"cpu_per_frame_s"` // per analysed frame
	CPUPerDecodedFrame float64 `json:"cpu_per_decoded_frame_s"`
	CPUPerStreamMinute float64 `json:"cpu_per_stream_minute_s"`
	// DecodeCPUPerFrame is the decoder thread's CPU per decoded frame:
	// libavcodec plus the copy into the analysis frame, nothing else.
	DecodeCPUPerFrame float64 `json:"decode_cpu_per_frame_s"`

	// Floor: ffmpeg decoding the same frames (per decoded frame).
	FloorCommand     []string `json:"floor_command,omitempty"`
	FloorFrames      int      `json:"floor_frames,omitempty"`
	FloorCPUPerFrame float64  `json:"floor_cpu_per_frame_s"`
	// RatioToFloor is pantau's CPU per decoded frame over the floor's.
	RatioToFloor float64 `json:"ratio_to_floor"`
	// DecodeRatioToFloor compares the decoder thread alone with the floor.
	DecodeRatioToFloor float64 `json:"decode_ratio_to_floor"`
	// The real-time floor (ffmpeg -re, with --realtime-floor) and the
	// ratios to it.
	RealtimeFloorCPUPerFrame   float64 `json:"realtime_floor_cpu_per_frame_s,omitempty"`
	RatioToRealtimeFloor       float64 `json:"ratio_to_realtime_floor,omitempty"`
	DecodeRatioToRealtimeFloor float64 `json:"decode_ratio_to_realtime_floor,omitempty"`

	// Peer: per camera an ffmpeg child (RTSP over TCP → fps and scale
	// filters → gray raw video on a pipe) and MOG2 + opening + contours on
	// each picture, measured in windows alternating with Pantau's.
	PeerCommand      []string `json:"peer_command,omitempty"`
	PeerCPUS         float64  `json:"peer_cpu_s,omitempty"`
	PeerFFmpegCPUS   float64  `json:"peer_ffmpeg_cpu_s,omitempty"`
	PeerConsumerCPUS float64  `json:"peer_consumer_cpu_s,omitempty"`
	PeerCPUCores     float64  `json:"peer_cpu_cores,omitempty"`
	PeerAnalysedFPS  float64  `json:"peer_analysed_fps,omitempty"`
	// PeerCPUPerFrame is the peer's CPU per analysed picture (like
	// cpu_per_frame_s); PeerCPUPerDecodedFrame per picture of the stream.
	PeerCPUPerFrame        float64 `json:"peer_cpu_per_frame_s"`
	PeerCPUPerDecodedFrame float64 `json:"peer_cpu_per_decoded_frame_s,omitempty"`
	// PantauOverPeer is Pantau's CPU per analysed frame over the peer's
	// (cpu_per_frame_s / peer_cpu_per_frame_s), same cameras, same rate.
	PantauOverPeer float64 `json:"pantau_over_peer"`

	// Naive: VideoCapture, BGR, motion on every full-size frame.
	NaiveFrames             int     `json:"naive_frames,omitempty"`
	NaiveCPUPerFrame        float64 `json:"naive_cpu_per_frame_s"`
	NaiveCPUPerStreamMinute float64 `json:"naive_cpu_per_stream_minute_s"`
	// NaiveOverPantau is the naive loop's CPU per stream-minute over
	// pantau's: how many more cameras the same CPU watches.
	NaiveOverPantau float64 `json:"naive_over_pantau"`

	// RSS: RSSPerStreamBytes is (RSSTotalBytes - RSSBaseBytes) / streams,
	// base measured before the pipelines started.
	RSSTotalBytes     int64 `json:"rss_total_bytes"`
	RSSBaseBytes      int64 `json:"rss_base_bytes"`
	RSSPerStreamBytes int64 `json:"rss_per_stream_bytes"`

	// Latency from access-unit arrival to the end of the analysis.
	LatencyP50Ms float64 `json:"latency_p50_ms"`
	LatencyP95Ms float64 `json:"latency_p95_ms"`
	// LatencyStages breaks the latency down by stage.
	LatencyStages *LatencyStages `json:"latency_stages,omitempty"`

	PerStream []StreamReport `json:"per_stream"`
	Errors    []string       `json:"errors,omitempty"`
}

// StreamReport is one pipeline's share of a Report.
type StreamReport struct {
	Mode         string  `json:"mode"`
	DecodedFPS   float64 `json:"decoded_fps"`
	AnalysedFPS  float64 `json:"analysed_fps"`
	Dropped      uint64  `json:"dropped"`
	DecodeErrors uint64  `json:"decode_errors"`
}

// WriteJSON writes r as one JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes r for people.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	p("clip      %s (%s %dx%d @ %.4g fps)", r.Clip, r.Codec, r.Width, r.Height, r.ClipFPS)
	p("machine   %s, load average %.2f before the run", r.Machine, r.LoadAverage)
	server := fmt.Sprintf("child process (not counted; %.1f s CPU)", r.ServerCPUS)
	if r.ServerInProcess {
		server = "in process (its CPU is counted)"
	}
	lf := r.LoopFilter
	if lf == "" {
		lf = "default"
	}
	p("run       %d stream(s), mode %s (end: %v), analysis %.4g fps, loop filter skipped: %s, %.1f s measured, RTSP server %s",
		r.Streams, r.Mode, r.Modes, r.FPS, lf, r.DurationS, server)
	switch {
	case r.Aligned:
		p("          all streams from one simulated camera: keyframes aligned (worst case)")
	case len(r.StartFrames) > 0:
		p("          one simulated camera per stream, started at clip frames %v (keyframes spread)", r.StartFrames)
	}
	p("")
	p("pantau    decoded %.1f fps, analysed %.1f fps, dropped %d %v", r.DecodedFPS, r.AnalysedFPS, r.Dropped, r.DroppedByReason)
	p("          CPU %.2f cores; %.2f ms per decoded frame, %.2f ms per analysed frame, %.2f s per stream-minute",
		r.CPUCores, 1000*r.CPUPerDecodedFrame, 1000*r.CPUPerFrame, r.CPUPerStreamMinute)
	p("          decoder thread %.2f ms per decoded frame (libavcodec + copy to the analysis frame)", 1000*r.DecodeCPUPerFrame)
	p("          RSS %.1f MB total, %.1f MB base, %.1f MB per stream", mb(r.RSSTotalBytes), mb(r.RSSBaseBytes), mb(r.RSSPerStreamBytes))
	p("          latency last RTP packet→end of analysis p50 %.1f ms, p95 %.1f ms", r.LatencyP50Ms, r.LatencyP95Ms)
	if s := r.LatencyStages; s != nil {
		p("          slowest 5 %% (%d of %d frames), mean ms: waiting for the decoder %.1f, decoding %.1f, hand-off %.1f, analysis %.1f",
			s.Slowest, s.Frames, s.Queue.Slowest, s.Decode.Slowest, s.Handoff.Slowest, s.Analysis.Slowest)
	}
	if r.FloorCPUPerFrame > 0 {
		p("floor     %.2f ms per decoded frame (%s)", 1000*r.FloorCPUPerFrame, strings.Join(r.FloorCommand, " "))
		p("          pantau/floor %.2f× per decoded frame (whole process), decoder thread/floor %.2f×", r.RatioToFloor, r.DecodeRatioToFloor)
	}
	if r.RealtimeFloorCPUPerFrame > 0 {
		p("rt floor  %.2f ms per decoded frame (same with -re: paced like a camera)", 1000*r.RealtimeFloorCPUPerFrame)
		p("          pantau/rt floor %.2f× (whole process), decoder thread/rt floor %.2f×", r.RatioToRealtimeFloor, r.DecodeRatioToRealtimeFloor)
	}
	if r.PeerCPUCores > 0 {
		p("peer      %.2f cores (ffmpeg %.1f s, consumer %.1f s CPU), analysed %.1f fps; %.2f ms per analysed frame, %.2f ms per stream frame",
			r.PeerCPUCores, r.PeerFFmpegCPUS, r.PeerConsumerCPUS, r.PeerAnalysedFPS, 1000*r.PeerCPUPerFrame, 1000*r.PeerCPUPerDecodedFrame)
		p("          (%s, then MOG2 + opening + contours)", strings.Join(r.PeerCommand, " "))
		p("          pantau/peer %.2f× per analysed frame (%.2f× in cores; %d round(s) alternating)", r.PantauOverPeer, r.CPUCores/r.PeerCPUCores, r.Rounds)
	}
	if r.NaiveCPUPerFrame > 0 {
		p("naive     %.2f ms per frame (%d frames), %.2f s per stream-minute", 1000*r.NaiveCPUPerFrame, r.NaiveFrames, r.NaiveCPUPerStreamMinute)
		p("          naive/pantau %.1f× per stream-minute", r.NaiveOverPantau)
	}
	if len(r.PerStream) > 1 {
		for i, s := range r.PerStream {
			p("stream %-3d %s: decoded %.1f fps, analysed %.1f fps, dropped %d, decode errors %d", i, s.Mode, s.DecodedFPS, s.AnalysedFPS, s.Dropped, s.DecodeErrors)
		}
	}
	for _, e := range r.Errors {
		p("error     %s", e)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }

func splitLines(s string) iter.Seq[string] { return strings.SplitSeq(s, "\n") }

func cut(line, sep string) (string, string, bool) {
	k, v, ok := strings.Cut(line, sep)
	return strings.TrimSpace(k), strings.TrimSpace(v), ok
}
