package eval

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteText prints out (and rep, when not nil) for people: the events, the
// per-interval counts, then the score table with the missed and false
// events, so a technician can see why a count is off.
func WriteText(w io.Writer, out *Output, rep *Report, tol time.Duration) {
	fmt.Fprintf(w, "# %d frames, %.1f s of video in %v (%.0f frames/s)\n", out.Frames, out.Duration,
		out.Took.Round(time.Millisecond), float64(out.Frames)/max(out.Took.Seconds(), 1e-9))
	fmt.Fprintln(w, "# events: time_s type rule class track direction/state")
	for _, r := range out.Records {
		var extra []string
		for _, s := range []string{r.Direction, r.Kind, r.State} {
			if s != "" {
				extra = append(extra, s)
			}
		}
		if r.Dwell > 0 {
			extra = append(extra, fmt.Sprintf("dwell=%.1fs", r.Dwell))
		}
		fmt.Fprintf(w, "%8.2f %-10s %-8s %-7s %3d %s\n", r.Time, r.Type, dash(r.Rule), dash(r.Class), r.Track, strings.Join(extra, " "))
	}
	fmt.Fprintln(w, "# counts per interval")
	for _, iv := range out.Intervals {
		var parts []string
		for _, c := range iv.Counts {
			s := c.Rule + " " + c.Direction
			if c.Class != "" {
				s += " " + c.Class
			}
			parts = append(parts, fmt.Sprintf("%s=%d", s, c.N))
		}
		fmt.Fprintf(w, "%7.1f-%-7.1f %s\n", iv.Start, iv.End, strings.Join(parts, ", "))
	}
	if rep == nil {
		return
	}
	writeScore(w, rep, tol)
}

// writeScore prints the score tables — per rule and direction, per line,
// per class — then every missed and false event.
func writeScore(w io.Writer, rep *Report, tol time.Duration) {
	fmt.Fprintf(w, "# score (events matched within ±%v, whatever their class)\n", tol)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "rule\tdirection\ttruth\tcounted\terror\tprecision\trecall\tf1")
	for _, r := range rep.Rules {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%+d\t%.3f\t%.3f\t%.3f\n", r.Rule, r.Direction,
			r.Truth, r.Counted, r.Counted-r.Truth, r.Precision, r.Recall, r.F1)
	}
	o := rep.Overall
	fmt.Fprintf(tw, "overall\t\t%d\t%d\t%.1f%%\t%.3f\t%.3f\t%.3f\n", o.Truth, o.Counted, 100*o.CountError, o.Precision, o.Recall, o.F1)
	tw.Flush()
	if len(rep.Lines) > 0 {
		fmt.Fprintln(w, "# per line (both directions)")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "line\ttruth\tcounted\tcount error\tprecision\trecall\tf1")
		for _, l := range rep.Lines {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f%%\t%.3f\t%.3f\t%.3f\n", l.Rule, l.Truth, l.Counted, 100*l.CountError, l.Precision, l.Recall, l.F1)
		}
		tw.Flush()
	}
	if len(rep.Classes) > 0 {
		fmt.Fprintln(w, "# per class (classed: matched and counted as the true class)")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "class\ttruth\tcounted\tmatched\tclassed\tprecision\trecall\tf1")
		for _, c := range rep.Classes {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.3f\t%.3f\t%.3f\n", c.Class, c.Truth, c.Counted, c.Matched, c.Classed, c.Precision, c.Recall, c.F1)
		}
		tw.Flush()
	}
	if o.Classed != nil {
		fmt.Fprintf(w, "# %.1f%% of the matched events were counted as their true class\n", 100**o.Classed)
	}
	for _, r := range rep.Rules {
		for _, m := range r.Misses {
			fmt.Fprintf(w, "missed       %8.2f %s %s %s%s\n", m.Time, r.Rule, r.Direction, dash(m.Class), nearMiss(m, r.FalseAlarms, tol))
		}
		for _, f := range r.FalseAlarms {
			fmt.Fprintf(w, "false alarm  %8.2f %s %s %s track %d\n", f.Time, r.Rule, r.Direction, dash(f.Class), f.Track)
		}
	}
	if rep.Unscored > 0 {
		fmt.Fprintf(w, "# %d events of rules or directions the truth does not label were not scored\n", rep.Unscored)
	}
}

// nearMiss names the unmatched count nearest a missed event when it is
// within three tolerances: most often the same walker counted late.
func nearMiss(m Truth, falseAlarms []Counted, tol time.Duration) string {
	best, found := 0.0, false
	for _, f := range falseAlarms {
		d := f.Time - m.Time
		if math.Abs(d) <= 3*tol.Seconds() && (!found || math.Abs(d) < math.Abs(best)) {
			best, found = d, true
		}
	}
	if !found {
		return ""
	}
	return fmt.Sprintf(" (an unmatched count %+.1f s away)", best)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
