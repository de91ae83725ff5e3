package count

import (
	"fmt"
	"sort"
	"time"

	"github.com/pantau/pantau/vision"
)

// Zones keeps live occupancy of polygons and raises zone_enter, zone_exit,
// loiter and intrusion events for confirmed tracks. Build it with
// NewZones. It is not safe for concurrent use.
type Zones struct {
	zones []zone
	gen   uint64
	drop  []int
	// ignored: the last frame's tracks were ignored (Analyze).
	ignored bool
	// quietUntil: until then a track first seen inside a zone joins it
	// without zone_enter (set by Resync).
	quietUntil time.Time
}

// resyncQuiet is how long after Resync a track first seen inside a zone
// is taken as someone already there under a new track id (the tracker
// confirms the objects it lost at a view change a few frames late), not
// an entry.
const resyncQuiet = 3 * time.Second

type zone struct {
	cfg    ZoneConfig
	hyst   float64
	armed  vision.Schedule
	tracks map[int]zoneTrack
	// occ is the occupancy last handed out. It is never changed after
	// being handed out: a new map is made when the counts change, so
	// steady state allocates nothing and readers of old results are safe.
	occ map[string]int
}

// zoneTrack is what a zone remembers about one track.
type zoneTrack struct {
	inside             bool
	since, lastSeen    time.Time
	class              string
	loitered, intruded bool
	gen                uint64
}

// NewZones validates cfgs and returns a zone analyzer. Zone names must be
// unique. Errors name the zone index and field, e.g.
// "zones[1].armed: entry 1 "mon-fry": unknown day "fry" …".
func NewZones(cfgs []ZoneConfig) (*Zones, error) {
	z := &Zones{}
	seen := map[string]bool{}
	for i, c := range cfgs {
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("zones[%d].%w", i, err)
		}
		if seen[c.Name] {
			return nil, fmt.Errorf("zones[%d].name: duplicate zone name %q", i, c.Name)
		}
		seen[c.Name] = true
		sch, _ := vision.ParseSchedule(c.Armed) // checked by Validate
		c.Points = append([]vision.Point(nil), c.Points...)
		c.Classes = append([]string(nil), c.Classes...)
		c.IntrusionClasses = append([]string(nil), c.IntrusionClasses...)
		occ := map[string]int{}
		for _, cl := range c.Classes {
			occ[cl] = 0
		}
		z.zones = append(z.zones, zone{cfg: c, hyst: hysteresisOr(c.Hysteresis), armed: sch, tracks: map[int]zoneTrack{}, occ: occ})
	}
	return z, nil
}

// Update feeds one frame's tracks (time t). It appends events to events and
// one ZoneOccupancy per zone to occ, and returns both slices. A lost track
// still reported by the tracker (Lost > 0) stays where it was; a track the
// tracker no longer reports leaves every zone it was in (zone_exit, Dwell
// up to when it was last seen).
func (z *Zones) Update(t time.Time, tracks []vision.Track, events []vision.Event, occ []vision.ZoneOccupancy) ([]vision.Event, []vision.ZoneOccupancy) {
	z.gen++
	for zi := range z.zones {
		zn := &z.zones[zi]
		for _, tr := range tracks {
			if !tr.Confirmed || !classOK(zn.cfg.Classes, tr.Class) {
				continue
			}
			st, known := zn.tracks[tr.ID]
			if tr.Lost > 0 {
				if known {
					st.gen = z.gen
					zn.tracks[tr.ID] = st
				}
				continue
			}
			st.gen, st.lastSeen, st.class = z.gen, t, tr.Class
			p := anchorOf(zn.cfg.Anchor, tr.Box)
			in := vision.InPolygon(p, zn.cfg.Points)
			// Inside the hysteresis band the state holds; a track seen for
			// the first time takes the plain polygon test.
			settled := !known || edgeDist(zn.cfg.Points, p) >= zn.hyst
			switch {
			case !known && in && t.Before(z.quietUntil):
				st.inside, st.since = true, t
			case settled && in && !st.inside:
				st.inside, st.since, st.loitered, st.intruded = true, t, false, false
				events = append(events, zn.event(vision.EventZoneEnter, t, tr.ID, st))
			case settled && !in && st.inside:
				st.inside = false
				events = append(events, zn.event(vision.EventZoneExit, t, tr.ID, st))
			}
			if st.inside {
				if zn.cfg.LoiterAfter > 0 && !st.loitered && t.Sub(st.since) >= zn.cfg.LoiterAfter {
					st.loitered = true
					events = append(events, zn.event(vision.EventLoiter, t, tr.ID, st))
				}
				if !st.intruded && classOK(zn.cfg.IntrusionClasses, tr.Class) && zn.isArmed(t) {
					st.intruded = true
					events = append(events, zn.event(vision.EventIntrusion, t, tr.ID, st))
				}
			}
			zn.tracks[tr.ID] = st
		}
		events = z.sweep(zn, t, events)
		occ = append(occ, vision.ZoneOccupancy{Zone: zn.cfg.Name, ByClass: zn.occupancy()})
	}
	return events, occ
}

// Held appends every zone's occupancy as last handed out, changing
// nothing: what Analyze reports while it ignores tracks.
func (z *Zones) Held(occ []vision.ZoneOccupancy) []vision.ZoneOccupancy {
	for i := range z.zones {
		occ = append(occ, vision.ZoneOccupancy{Zone: z.zones[i].cfg.Name, ByClass: z.zones[i].occ})
	}
	return occ
}

// Resync takes the tracks of the frame at t as they are, without events:
// each confirmed track's membership is set from where it is now (a track
// new inside starts its dwell at t), tracks no longer reported are
// forgotten; for resyncQuiet after it, a track first seen inside a zone
// joins it without zone_enter. It appends every zone's occupancy to occ.
func (z *Zones) Resync(t time.Time, tracks []vision.Track, occ []vision.ZoneOccupancy) []vision.ZoneOccupancy {
	z.gen++
	z.quietUntil = t.Add(resyncQuiet)
	for zi := range z.zones {
		zn := &z.zones[zi]
		for _, tr := range tracks {
			if !tr.Confirmed || !classOK(zn.cfg.Classes, tr.Class) {
				continue
			}
			st, known := zn.tracks[tr.ID]
			in := st.inside
			if tr.Lost == 0 {
				in = vision.InPolygon(anchorOf(zn.cfg.Anchor, tr.Box), zn.cfg.Points)
				st.lastSeen, st.class = t, tr.Class
			} else if !known {
				continue
			}
			if in && (!known || !st.inside) {
				st.since, st.loitered, st.intruded = t, false, false
			}
			st.inside, st.gen = in, z.gen
			zn.tracks[tr.ID] = st
		}
		for id, st := range zn.tracks {
			if st.gen != z.gen {
				delete(zn.tracks, id)
			}
		}
		occ = append(occ, vision.ZoneOccupancy{Zone: zn.cfg.Name, ByClass: zn.occupancy()})
	}
	return occ
}

// sweep forgets tracks not reported this frame; those inside exit.
func (z *Zones) sweep(zn *zone, t time.Time, events []vision.Event) []vision.Event {
	z.drop = z.drop[:0]
	for id, st := range zn.tracks {
		if st.gen != z.gen {
			z.drop = append(z.drop, id)
		}
	}
	sort.Ints(z.drop)
	for _, id := range z.drop {
		if st := zn.tracks[id]; st.inside {
			events = append(events, zn.event(vision.EventZoneExit, t, id, st))
		}
		delete(zn.tracks, id)
	}
	return events
}

func (zn *zone) isArmed(t time.Time) bool {
	if zn.armed.Empty() {
		return false
	}
	if zn.cfg.Location != nil {
		t = t.In(zn.cfg.Location)
	}
	return zn.armed.Armed(t)
}

func (zn *zone) event(typ string, t time.Time, id int, st zoneTrack) vision.Event {
	e := vision.Event{Type: typ, Time: t, Rule: zn.cfg.Name, Class: st.class, Track: id}
	switch typ {
	case vision.EventZoneExit:
		e.Dwell = st.lastSeen.Sub(st.since)
	case vision.EventLoiter, vision.EventIntrusion:
		e.Dwell = t.Sub(st.since)
	}
	return e
}

// occupancy counts tracks inside by class, reusing the last map when
// nothing changed.
func (zn *zone) occupancy() map[string]int {
	same := true
	n := 0
	for _, st := range zn.tracks {
		if st.inside {
			n++
		}
	}
	total := 0
	for _, v := range zn.occ {
		total += v
	}
	if total != n {
		same = false
	} else {
		for cl, v := range zn.occ {
			c := 0
			for _, st := range zn.tracks {
				if st.inside && st.class == cl {
					c++
				}
			}
			if c != v {
				same = false
				break
			}
		}
	}
	if same {
		return zn.occ
	}
	m := make(map[string]int, len(zn.occ)+1)
	for _, cl := range zn.cfg.Classes {
		m[cl] = 0
	}
	for _, st := range zn.tracks {
		if st.inside {
			m[st.class]++
		}
	}
	zn.occ = m
	return m
}

// Names returns the zone names in configuration order.
func (z *Zones) Names() []string {
	n := make([]string, len(z.zones))
	for i, zn := range z.zones {
		n[i] = zn.cfg.Name
	}
	return n
}
