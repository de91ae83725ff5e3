package agent

import (
	"time"

	"github.com/pantau/pantau/devices/urlcred"
	"github.com/pantau/pantau/vision"
)

// withCredentials returns the stream URL to dial: credentials escaped
// (a password typed raw in the URL, p@ss/1, is taken as it is), user and
// pass used when the URL has none.
func withCredentials(raw, user, pass string) string {
	u, uu, pp, err := urlcred.Split(raw)
	if err != nil {
		return raw // refused by config validation already
	}
	if user == "" {
		user, pass = uu, pp
	}
	return urlcred.With(u.String(), user, pass)
}

// rateMeter measures an event rate over the last few seconds without
// allocating: a ring of the most recent timestamps.
type rateMeter struct {
	ts   [64]time.Time
	next int
	n    int
}

// Add records one event at t.
func (m *rateMeter) Add(t time.Time) {
	m.ts[m.next] = t
	m.next = (m.next + 1) % len(m.ts)
	if m.n < len(m.ts) {
		m.n++
	}
}

// Rate is events per second over the recorded window, 0 when the last
// event is older than 5 s.
func (m *rateMeter) Rate(now time.Time) float64 {
	if m.n < 2 {
		return 0
	}
	newest := m.ts[(m.next-1+len(m.ts))%len(m.ts)]
	oldest := m.ts[(m.next-m.n+len(m.ts))%len(m.ts)]
	if now.Sub(newest) > 5*time.Second {
		return 0
	}
	span := newest.Sub(oldest).Seconds()
	if span <= 0 {
		return 0
	}
	return float64(m.n-1) / span
}

// occupancyGauges remembers the zone occupancy last set on the metrics, so
// a gauge is set only when its value changes, and a class whose last
// object left the zone (and so is missing from the zone's counts) goes
// back to 0 instead of keeping its last value. Used from the analyzer
// goroutine only.
type occupancyGauges map[string]map[string]int

func (g occupancyGauges) update(zones []vision.ZoneOccupancy, set func(zone, class string, n int)) {
	for _, z := range zones {
		last, ok := g[z.Zone]
		if !ok {
			last = map[string]int{}
			g[z.Zone] = last
		}
		for class, n := range z.ByClass {
			if v, seen := last[class]; !seen || v != n {
				last[class] = n
				set(z.Zone, class, n)
			}
		}
		for class, v := range last {
			if _, still := z.ByClass[class]; !still && v != 0 {
				last[class] = 0
				set(z.Zone, class, 0)
			}
		}
	}
}
