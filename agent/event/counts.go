package event

import "time"

// Counts is the payload at …/{camera}/counts: what one camera saw in one
// closed interval [Start, End), plus running totals since TotalsSince. One
// message per interval, also when nothing happened (FramesAnalysed 0 then
// tells a silent camera from a quiet scene). Header.TS is End. Durable.
type Counts struct {
	Header
	Start     string  `json:"start"`      // Timestamp of the interval start (inclusive)
	End       string  `json:"end"`        // Timestamp of the interval end (exclusive)
	IntervalS float64 `json:"interval_s"` // End − Start in seconds
	// Partial is true for an interval cut short (agent shutdown, or the
	// first interval after start, which begins mid-way).
	Partial bool `json:"partial"`
	// FramesAnalysed is how many frames the analyzers saw in the interval.
	FramesAnalysed int `json:"frames_analysed"`
	// MotionS is the seconds of frame time with motion present.
	MotionS float64 `json:"motion_s"`
	// Events counts the events of each type emitted in the interval.
	Events map[string]int `json:"events"`
	Lines  []LineCount    `json:"lines"`
	Zones  []ZoneStats    `json:"zones"`
	// TotalsSince is the Timestamp from which Totals run (the aggregator's
	// start): totals never reset while the agent runs.
	TotalsSince string `json:"totals_since"`
	Totals      Totals `json:"totals"`
}

// LineCount is the crossings of one line, per direction and class
// ({"person": 3, "car": 1}); classes with no crossing are left out.
type LineCount struct {
	Rule string         `json:"rule"`
	In   map[string]int `json:"in"`
	Out  map[string]int `json:"out"`
}

// ZoneStats is one zone over one interval. Max and Avg are of the total
// occupancy (all classes) over the frames analysed; Entries, Exits and
// MeanDwellS are per class. MeanDwellS averages the dwell of the exits in
// the interval, so a class with no exit has no entry there.
type ZoneStats struct {
	Rule       string             `json:"rule"`
	Max        int                `json:"max"`
	Avg        float64            `json:"avg"`
	Entries    map[string]int     `json:"entries"`
	Exits      map[string]int     `json:"exits"`
	MeanDwellS map[string]float64 `json:"mean_dwell_s"`
}

// Totals are running sums since Counts.TotalsSince.
type Totals struct {
	Lines []LineCount  `json:"lines"`
	Zones []ZoneTotals `json:"zones"`
}

// ZoneTotals is the running entries and exits of one zone, per class.
type ZoneTotals struct {
	Rule    string         `json:"rule"`
	Entries map[string]int `json:"entries"`
	Exits   map[string]int `json:"exits"`
}

// NewCounts returns the counts message of one camera. The caller fills c's
// body; its Header is replaced (TS = end). Nil maps and slices are made
// empty so the payload always has every field. ID and Seq are left for the
// publisher, which spools the message.
func NewCounts(site, agent, camera string, end time.Time, c Counts) Message {
	c.Header = Header{Schema: SchemaCounts, TS: Timestamp(end), Site: site, Agent: agent, Camera: camera}
	if c.Events == nil {
		c.Events = map[string]int{}
	}
	c.Lines = fillLines(c.Lines)
	c.Totals.Lines = fillLines(c.Totals.Lines)
	if c.Zones == nil {
		c.Zones = []ZoneStats{}
	}
	for i := range c.Zones {
		z := &c.Zones[i]
		z.Entries, z.Exits = nonNil(z.Entries), nonNil(z.Exits)
		if z.MeanDwellS == nil {
			z.MeanDwellS = map[string]float64{}
		}
	}
	if c.Totals.Zones == nil {
		c.Totals.Zones = []ZoneTotals{}
	}
	for i := range c.Totals.Zones {
		z := &c.Totals.Zones[i]
		z.Entries, z.Exits = nonNil(z.Entries), nonNil(z.Exits)
	}
	return Message{Subtopic: camera + "/counts", Camera: camera, Durable: true, Body: &c}
}

func fillLines(ls []LineCount) []LineCount {
	if ls == nil {
		return []LineCount{}
	}
	for i := range ls {
		ls[i].In, ls[i].Out = nonNil(ls[i].In), nonNil(ls[i].Out)
	}
	return ls
}

func nonNil(m map[string]int) map[string]int {
	if m == nil {
		return map[string]int{}
	}
	return m
}

// Occupancy is the retained payload at …/{camera}/occupancy: how many
// tracks are inside each zone now. Published when any figure changes; not
// spooled (only the latest value matters and the broker retains it).
type Occupancy struct {
	Header
	Zones []ZoneOccupancy `json:"zones"`
}

// ZoneOccupancy is one zone's current occupancy.
type ZoneOccupancy struct {
	Rule    string         `json:"rule"`
	ByClass map[string]int `json:"by_class"` // classes with 0 are left out
	Total   int            `json:"total"`
}

// NewOccupancy returns the retained occupancy message of one camera at time
// now. Zones are copied in the given order; Total is computed here.
func NewOccupancy(site, agent, camera string, now time.Time, zones []ZoneOccupancy) Message {
	o := &Occupancy{
		Header: Header{Schema: SchemaOccupancy, ID: NewID(), TS: Timestamp(now), Site: site, Agent: agent, Camera: camera},
		Zones:  make([]ZoneOccupancy, len(zones)),
	}
	for i, z := range zones {
		bc := make(map[string]int, len(z.ByClass))
		total := 0
		for k, v := range z.ByClass {
			if v != 0 {
				bc[k] = v
				total += v
			}
		}
		o.Zones[i] = ZoneOccupancy{Rule: z.Rule, ByClass: bc, Total: total}
	}
	return Message{Subtopic: camera + "/occupancy", Camera: camera, Retained: true, Body: o}
}
