package eval

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/pantau/pantau/agent/pipeline"
	"github.com/pantau/pantau/vision"
)

// DefaultInterval is the counts interval when RunConfig.Interval is zero,
// the same as the agent's default.
const DefaultInterval = 60 * time.Second

// RunConfig says what Run plays and how.
type RunConfig struct {
	// Clip is the H.264/H.265 file to play.
	Clip string
	// Pipeline configures the frame path (analysis width and rate, decode
	// mode). Pipeline.FileStart is the time of the clip's first frame; it
	// defaults to the Unix epoch, and matters only for intrusion
	// schedules.
	Pipeline pipeline.Config
	// Analyzers are the camera's analysis chain, in order. Run does not
	// close them.
	Analyzers []pipeline.Analyzer
	// Interval is the length of one counts interval. It defaults to
	// DefaultInterval.
	Interval time.Duration
	// Annotate, if set, is where to write an annotated H.264 video of what
	// the analytics saw, at the analysis size and rate.
	Annotate string
	// Overlay is the geometry drawn on the annotated video.
	Overlay Overlay
}

// Record is one event as `pantau eval` lists it.
type Record struct {
	Time      float64 `json:"time_s"`
	Type      string  `json:"type"`
	Rule      string  `json:"rule,omitempty"`
	Class     string  `json:"class,omitempty"`
	Track     int     `json:"track,omitempty"`
	Direction string  `json:"direction,omitempty"`
	State     string  `json:"state,omitempty"`
	Kind      string  `json:"kind,omitempty"`
	Dwell     float64 `json:"dwell_s,omitempty"` // zone_exit, loiter, intrusion
}

// IntervalCount is how many events of one rule and direction (and class)
// fell in an interval.
type IntervalCount struct {
	Rule      string `json:"rule"`
	Direction string `json:"direction"`
	Class     string `json:"class,omitempty"`
	N         int    `json:"n"`
}

// Interval is one counts interval, [Start, End) seconds from the clip
// start; the last one may be shorter than the others.
type Interval struct {
	Start  float64         `json:"start_s"`
	End    float64         `json:"end_s"`
	Counts []IntervalCount `json:"counts"`
}

// Output is what Run saw.
type Output struct {
	// Records lists every event, motion and tamper clearings included.
	Records []Record `json:"events"`
	// Counted lists the events that can be scored against truth.
	Counted   []Counted      `json:"-"`
	Intervals []Interval     `json:"intervals"`
	Frames    int            `json:"-"`
	Duration  float64        `json:"-"` // seconds, last frame time
	Stats     pipeline.Stats `json:"-"`
	// Took is how long the run took (wall clock).
	Took time.Duration `json:"-"`
}

// Run plays rc.Clip through rc.Analyzers as fast as the CPU allows and
// collects the events and the per-interval counts.
func Run(ctx context.Context, rc RunConfig) (*Output, error) {
	if rc.Clip == "" {
		return nil, errors.New("eval: no clip")
	}
	if _, err := os.Stat(rc.Clip); err != nil {
		return nil, fmt.Errorf("eval: clip: %w", err)
	}
	if rc.Interval <= 0 {
		rc.Interval = DefaultInterval
	}
	if rc.Pipeline.FileStart.IsZero() {
		rc.Pipeline.FileStart = time.Unix(0, 0).UTC()
	}
	start := rc.Pipeline.FileStart
	analyzers := rc.Analyzers
	var ann *Annotator
	if rc.Annotate != "" {
		fps := rc.Pipeline.FPS
		if fps == 0 {
			fps = 5
		}
		var err error
		if ann, err = NewAnnotator(rc.Annotate, fps, rc.Overlay); err != nil {
			return nil, err
		}
		analyzers = append(append([]pipeline.Analyzer(nil), analyzers...), ann)
	}
	out := &Output{}
	t0 := time.Now()
	stats, err := pipeline.RunFile(ctx, rc.Clip, rc.Pipeline, analyzers, func(r *vision.Result) {
		out.Frames++
		out.Duration = r.Time.Sub(start).Seconds()
		for _, e := range r.Events {
			out.Records = append(out.Records, Record{Time: e.Time.Sub(start).Seconds(), Type: e.Type, Rule: e.Rule,
				Class: e.Class, Track: e.Track, Direction: e.Direction, State: e.State, Kind: e.Kind, Dwell: e.Dwell.Seconds()})
			if c, ok := FromEvent(e, start); ok {
				out.Counted = append(out.Counted, c)
			}
		}
	})
	out.Took, out.Stats = time.Since(t0), stats
	if ann != nil {
		if cerr := ann.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return out, fmt.Errorf("eval: %w", err)
	}
	out.Intervals = intervals(out.Counted, out.Duration, rc.Interval.Seconds())
	return out, nil
}

// intervals buckets counted events into [k·iv, (k+1)·iv) up to the clip's
// duration.
func intervals(counted []Counted, duration, iv float64) []Interval {
	n := int(duration/iv) + 1
	out := make([]Interval, n)
	idx := make([]map[IntervalCount]int, n)
	for k := range out {
		out[k] = Interval{Start: float64(k) * iv, End: min(float64(k+1)*iv, duration), Counts: []IntervalCount{}}
		idx[k] = map[IntervalCount]int{}
	}
	for _, c := range counted {
		k := min(n-1, max(0, int(c.Time/iv)))
		idx[k][IntervalCount{Rule: c.Rule, Direction: c.Direction, Class: c.Class}]++
	}
	for k, m := range idx {
		for ic, v := range m {
			ic.N = v
			out[k].Counts = append(out[k].Counts, ic)
		}
		sort.Slice(out[k].Counts, func(i, j int) bool {
			a, b := out[k].Counts[i], out[k].Counts[j]
			if a.Rule != b.Rule {
				return a.Rule < b.Rule
			}
			if a.Direction != b.Direction {
				return a.Direction < b.Direction
			}
			return a.Class < b.Class
		})
	}
	return out
}
