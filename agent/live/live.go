// Package live lets the web UI watch a camera's analysis as it happens.
// A Tap is the last analyzer of a camera: it keeps today's line counts,
// the zone occupancy and the raised tamper kinds, and, only while someone
// watches, encodes each analysed frame as JPEG together with what the
// analysis found in that very frame — so a picture and its overlay travel
// in one message and can never drift apart.
//
// A Hub holds one Tap per camera name; it outlives camera restarts, so
// counts survive a rule edit.
package live

import (
	"sync"
	"time"

	"github.com/pantau/pantau/vision"
)

// Box is a confirmed track in normalised coordinates.
type Box struct {
	ID    int     `json:"id"`
	Class string  `json:"class"`
	X     float64 `json:"x"`
	Y     float64 `json:"y"`
	W     float64 `json:"w"`
	H     float64 `json:"h"`
}

// LineCount is one line's crossings today.
type LineCount struct {
	In  int `json:"in"`
	Out int `json:"out"`
	// ByClass is crossings per class, both directions.
	ByClass map[string]int `json:"by_class"`
}

// Event is an analysis event as the UI shows it.
type Event struct {
	Camera    string    `json:"camera"`
	Type      string    `json:"type"`
	Time      time.Time `json:"time"`
	Rule      string    `json:"rule,omitempty"`
	Class     string    `json:"class,omitempty"`
	Track     int       `json:"track,omitempty"`
	Direction string    `json:"direction,omitempty"`
	State     string    `json:"state,omitempty"`
	Kind      string    `json:"kind,omitempty"`
}

// Frame is one analysed frame: its picture (when asked for) and what was
// found in it.
type Frame struct {
	// Seq numbers the camera's analysed frames since the tap was made.
	Seq    uint64    `json:"seq"`
	Time   time.Time `json:"time"`
	Width  int       `json:"width"`
	Height int       `json:"height"`
	// JPEG is the picture at analysis size; nil for subscribers that did
	// not ask for pictures. Not part of the JSON (sent apart).
	JPEG      []byte                    `json:"-"`
	Motion    bool                      `json:"motion"`
	Tracks    []Box                     `json:"tracks"`
	Lines     map[string]LineCount      `json:"lines"`
	Occupancy map[string]map[string]int `json:"occupancy"`
	Tamper    []string                  `json:"tamper"`
	Events    []Event                   `json:"events"`
	// View is the picture mode, "day" or "ir" (infrared night mode), empty
	// while unknown; Settling is true for a few seconds after the whole
	// view changed (lines and zones ignore tracks meanwhile).
	View     string `json:"view,omitempty"`
	Settling bool   `json:"settling,omitempty"`
}

// Hub holds the taps of every camera and fans events out to watchers.
// Safe for concurrent use.
type Hub struct {
	mu     sync.Mutex
	taps   map[string]*Tap
	evSubs map[chan Event]struct{}
	recent []Event
}

// recentEvents is how many events a new events watcher gets first.
const recentEvents = 100

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{taps: map[string]*Tap{}, evSubs: map[chan Event]struct{}{}}
}

// Tap returns camera's tap, making it on first use.
func (h *Hub) Tap(camera string) *Tap {
	h.mu.Lock()
	defer h.mu.Unlock()
	t, ok := h.taps[camera]
	if !ok {
		t = newTap(camera, h)
		h.taps[camera] = t
	}
	return t
}

// Lookup returns camera's tap if it has one.
func (h *Hub) Lookup(camera string) (*Tap, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t, ok := h.taps[camera]
	return t, ok
}

// Remove forgets a camera that is gone from the config.
func (h *Hub) Remove(camera string) {
	h.mu.Lock()
	delete(h.taps, camera)
	h.mu.Unlock()
}

// SubscribeEvents returns the last events (oldest first) and a channel of
// new ones from every camera; call cancel when done. A watcher that falls
// behind misses events rather than slowing the cameras.
func (h *Hub) SubscribeEvents() (recent []Event, ch <-chan Event, cancel func()) {
	c := make(chan Event, 64)
	h.mu.Lock()
	h.evSubs[c] = struct{}{}
	recent = append([]Event(nil), h.recent...)
	h.mu.Unlock()
	return recent, c, func() {
		h.mu.Lock()
		delete(h.evSubs, c)
		h.mu.Unlock()
	}
}

func (h *Hub) publish(evs []Event) {
	if len(evs) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recent = append(h.recent, evs...)
	if n := len(h.recent) - recentEvents; n > 0 {
		h.recent = append(h.recent[:0], h.recent[n:]...)
	}
	for c := range h.evSubs {
		for _, e := range evs {
			select {
			case c <- e:
			default: // a slow watcher misses it
			}
		}
	}
}

func toEvent(camera string, e vision.Event) Event {
	return Event{Camera: camera, Type: e.Type, Time: e.Time, Rule: e.Rule, Class: e.Class, Track: e.Track,
		Direction: e.Direction, State: e.State, Kind: e.Kind}
}
