package aggregate

import (
	"time"

	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/vision"
)

// zoneNow is a published zone occupancy, owned by the aggregator (classes
// with zero are left out).
type zoneNow struct {
	rule    string
	byClass map[string]int
}

// occupancy emits the retained occupancy message when this frame's
// occupancy differs from the last one published. A frame that reports no
// zone (the zone analyzer did not run) changes nothing. Steady state (no
// change) allocates nothing.
func (a *Aggregator) occupancy(t time.Time, occ []vision.ZoneOccupancy) {
	if len(occ) == 0 || (a.occSent && sameOccupancy(a.occ, occ)) {
		return
	}
	a.occ = a.occ[:0]
	zones := make([]event.ZoneOccupancy, len(occ))
	for i, o := range occ {
		bc := make(map[string]int, len(o.ByClass))
		for k, v := range o.ByClass {
			if v != 0 {
				bc[k] = v
			}
		}
		a.occ = append(a.occ, zoneNow{rule: o.Zone, byClass: bc})
		zones[i] = event.ZoneOccupancy{Rule: o.Zone, ByClass: bc}
	}
	a.occSent = true
	a.emit(event.NewOccupancy(a.cfg.Site, a.cfg.Agent, a.cfg.Camera, t, zones))
}

func sameOccupancy(last []zoneNow, occ []vision.ZoneOccupancy) bool {
	if len(last) != len(occ) {
		return false
	}
	for i := range occ {
		if last[i].rule != occ[i].Zone {
			return false
		}
		n := 0
		for k, v := range occ[i].ByClass {
			if v == 0 {
				continue
			}
			n++
			if last[i].byClass[k] != v {
				return false
			}
		}
		if n != len(last[i].byClass) {
			return false
		}
	}
	return true
}
