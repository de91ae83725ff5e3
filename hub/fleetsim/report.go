package fleetsim

import (
	"fmt"
	"io"
	"time"
)

// Report is what a simulation measured.
type Report struct {
	Config  Config
	Faults  []Fault
	Elapsed time.Duration

	// Sent counts the spooled messages (counts and events) the agents
	// accepted; Stored those the hub stored; Lost the sent ones missing;
	// Unexpected stored ones nobody sent.
	Sent, Stored, Lost, Unexpected int64
	CountsSent, CountsStored       int64
	EventsSent, EventsStored       int64
	// StoredTwice is the excess in the hourly roll-up over what was sent
	// (a message stored twice would show there); DuplicatesDropped is how
	// many redeliveries the hub recognised and dropped.
	StoredTwice, DuplicatesDropped int64
	// Lag (hub receive time − ts) over every stored message, in seconds;
	// SteadyP95 leaves out messages made around a fault.
	LagP50, LagP95, LagP99, LagMax, SteadyP95 float64
	// HubCPU is the hub's CPU time over the run; HubPeakRSS its peak
	// resident memory; DBBytes the database's size at the end.
	HubCPU     time.Duration
	HubPeakRSS int64
	DBBytes    int64
	Notes      []string
}

// OK reports whether nothing was lost, stored twice or made up.
func (r *Report) OK() bool {
	return r.Lost == 0 && r.StoredTwice == 0 && r.Unexpected == 0 && r.Stored == r.Sent && r.Sent > 0
}

// Write prints the report as a Markdown table.
func (r *Report) Write(w io.Writer) {
	c := r.Config
	perDay := float64(r.DBBytes) / r.Elapsed.Seconds() * 86400
	rows := [][2]string{
		{"fleet", fmt.Sprintf("%d sites × %d cameras, counts every %s, %.0f events/min per camera", c.Sites, c.Cameras, c.Interval, c.EventsPerMinute)},
		{"run", fmt.Sprintf("%s of traffic, %s until all stored", c.Duration, r.Elapsed.Round(time.Second))},
		{"restarts", faultList(r.Faults)},
		{"sent (counts + events)", fmt.Sprintf("%d (%d + %d)", r.Sent, r.CountsSent, r.EventsSent)},
		{"stored (counts + events)", fmt.Sprintf("%d (%d + %d)", r.Stored, r.CountsStored, r.EventsStored)},
		{"lost", fmt.Sprint(r.Lost)},
		{"stored twice", fmt.Sprint(r.StoredTwice)},
		{"redeliveries dropped as duplicates", fmt.Sprint(r.DuplicatesDropped)},
		{"lag p50 / p95 / p99 / max", fmt.Sprintf("%.2f / %.2f / %.2f / %.2f s", r.LagP50, r.LagP95, r.LagP99, r.LagMax)},
		{"lag p95 away from restarts", fmt.Sprintf("%.2f s", r.SteadyP95)},
		{"hub CPU", fmt.Sprintf("%s (%.1f %% of one core)", r.HubCPU.Round(time.Millisecond), 100*r.HubCPU.Seconds()/r.Elapsed.Seconds())},
		{"hub peak RSS", fmt.Sprintf("%.1f MiB", float64(r.HubPeakRSS)/(1<<20))},
		{"database", fmt.Sprintf("%.1f MiB, ≈ %.0f MiB per day at this rate", float64(r.DBBytes)/(1<<20), perDay/(1<<20))},
		{"verdict", map[bool]string{true: "PASS", false: "FAIL"}[r.OK()]},
	}
	fmt.Fprintln(w, "| measure | value |\n|---|---|")
	for _, row := range rows {
		fmt.Fprintf(w, "| %s | %s |\n", row[0], row[1])
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "\nNote: %s\n", n)
	}
}

func faultList(fs []Fault) string {
	if len(fs) == 0 {
		return "none"
	}
	s := ""
	for i, f := range fs {
		if i > 0 {
			s += "; "
		}
		s += fmt.Sprintf("%s down %s", f.What, f.End.Sub(f.Start).Round(100*time.Millisecond))
	}
	return s
}
