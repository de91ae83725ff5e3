package pipeline

import (
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Stats is a snapshot of a pipeline's counters.
type Stats struct {
	Mode     string // decode mode in use: "full" or "keyframes"
	Received uint64 // access units pushed
	// Skipped counts units not decoded because nothing needs them
	// (keyframes mode and not random access, or an unwanted
	// non-reference picture); they are not drops.
	Skipped      uint64
	Decoded      uint64 // pictures out of the decoder
	Analysed     uint64 // frames the analyzers ran on
	DecodeErrors uint64 // corrupt or undecodable units
	// Dropped counts dropped units and frames by reason (Drop* constants);
	// every reason is present.
	Dropped map[string]uint64
	// DecodeCPU is the CPU time spent in the decoder (libavcodec on the
	// decoder's thread and the copy to the analysis frame), measured per
	// thread (decode.Stats.CPU).
	DecodeCPU time.Duration
	// AnalyzerErrors counts errors returned by analyzers.
	AnalyzerErrors uint64
	// LastFrame is the capture time of the last analysed frame.
	LastFrame time.Time
	// DecodedFPS and AnalysedFPS are rates over the last second or so.
	DecodedFPS, AnalysedFPS float64
	// LatencyP50 and LatencyP95 are taken over the last 256 analysed
	// frames, from AccessUnit.Received to the end of onResult.
	LatencyP50, LatencyP95 time.Duration
}

// DroppedTotal is the sum of Dropped.
func (s Stats) DroppedTotal() uint64 {
	var n uint64
	for _, v := range s.Dropped {
		n += v
	}
	return n
}

const latencyRing = 256

// counters are written by the pipeline's goroutines and read by Stats.
type counters struct {
	received, decoded, analysed, decodeErrs, analyzerErrs atomic.Uint64
	skipped                                               atomic.Uint64
	dropped                                               [len(dropReasons)]atomic.Uint64
	lastFrame                                             atomic.Int64  // unix nanoseconds
	decodeCPU                                             atomic.Int64  // nanoseconds
	decodedFPS, analysedFPS                               atomic.Uint64 // float64 bits

	mu      sync.Mutex
	latency [latencyRing]time.Duration
	nlat    int

	// rate is used by the decoder goroutine only.
	rateAt                time.Time
	rateDecoded, rateAnal uint64
}

func (c *counters) addLatency(d time.Duration) {
	c.mu.Lock()
	c.latency[c.nlat%latencyRing] = d
	c.nlat++
	c.mu.Unlock()
}

// updateRates recomputes the fps figures; called about once a second.
func (c *counters) updateRates(now time.Time) {
	dec, an := c.decoded.Load(), c.analysed.Load()
	if !c.rateAt.IsZero() {
		s := now.Sub(c.rateAt).Seconds()
		if s > 0 {
			c.decodedFPS.Store(math.Float64bits(float64(dec-c.rateDecoded) / s))
			c.analysedFPS.Store(math.Float64bits(float64(an-c.rateAnal) / s))
		}
	}
	c.rateAt, c.rateDecoded, c.rateAnal = now, dec, an
}

// Stats returns the pipeline's counters. Safe for concurrent use.
func (p *Pipeline) Stats() Stats {
	c := &p.st
	s := Stats{
		Mode:           p.Mode(),
		Received:       c.received.Load(),
		Skipped:        c.skipped.Load(),
		Decoded:        c.decoded.Load(),
		Analysed:       c.analysed.Load(),
		DecodeErrors:   c.decodeErrs.Load(),
		DecodeCPU:      time.Duration(c.decodeCPU.Load()),
		AnalyzerErrors: c.analyzerErrs.Load(),
		Dropped:        make(map[string]uint64, len(dropReasons)),
		DecodedFPS:     math.Float64frombits(c.decodedFPS.Load()),
		AnalysedFPS:    math.Float64frombits(c.analysedFPS.Load()),
	}
	for i, r := range dropReasons {
		s.Dropped[r] = c.dropped[i].Load()
	}
	if t := c.lastFrame.Load(); t != 0 {
		s.LastFrame = time.Unix(0, t)
	}
	c.mu.Lock()
	lat := slices.Clone(c.latency[:min(c.nlat, latencyRing)])
	c.mu.Unlock()
	if len(lat) > 0 {
		slices.Sort(lat)
		s.LatencyP50 = lat[(len(lat)-1)*50/100]
		s.LatencyP95 = lat[(len(lat)-1)*95/100]
	}
	return s
}
