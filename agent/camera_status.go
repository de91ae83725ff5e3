package agent

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/agent/logging"
	"github.com/pantau/pantau/devices/rtsp"
	"github.com/pantau/pantau/devices/urlcred"
)

// statusEvery is how often a camera re-sends its retained status while
// nothing changes, so fps and last_frame stay fresh.
const statusEvery = 10 * time.Second

// statusReporter keeps one camera's retained status: the state the stream
// runner reports, the frame flow the analyzer goroutine reports, and the
// stream details; on its own clock it derives online/degraded from the
// frame flow and publishes the status when it changed or went stale. A
// slow publish here delays neither the stream nor the count intervals.
// Methods are safe for concurrent use.
type statusReporter struct {
	site, agent, name string
	url               string // redacted
	source            string // event.SourceConfig or event.SourceDiscovery
	device            deviceInfo
	fps               float64 // configured analysis rate; 0 = every frame
	pub               publisher
	streamUp          func(up bool)
	decodeMode        func() string
	log               *slog.Logger
	// failed logs a status that could not be sent, summarised.
	failed *logging.Repeated
	// changed wakes run to publish a changed state (capacity 1), so
	// whoever changes the state never waits for the broker.
	changed chan struct{}

	mu        sync.Mutex
	state     string
	lastErr   string
	info      rtsp.StreamInfo
	lastFrame time.Time
	rate      rateMeter
	published time.Time // last retained status sent
	view      viewState
}

// run publishes state changes, derives the state from the frame flow and
// refreshes the status every second until ctx ends. The caller calls
// flush after run and every setState returned.
func (s *statusReporter) run(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.changed:
			s.publish(time.Now())
		case now := <-t.C:
			s.tick(now)
		}
	}
}

// flush publishes a state change run did not (the offline at the end).
func (s *statusReporter) flush() {
	select {
	case <-s.changed:
		s.publish(time.Now())
	default:
	}
}

// setState records the camera's state; run publishes it when it changed.
func (s *statusReporter) setState(state string, err error) {
	s.mu.Lock()
	changed := s.state != state
	s.state = state
	if err != nil {
		s.lastErr = urlcred.RedactText(err.Error())
	} else if state == event.StateOnline {
		s.lastErr = ""
	}
	s.mu.Unlock()
	s.streamUp(state == event.StateOnline)
	if changed {
		s.log.Info("camera state", "state", state)
		select {
		case s.changed <- struct{}{}:
		default: // a publish is due already; it sends the latest state
		}
	}
}

// setInfo records what the stream's SDP said (codec, size).
func (s *statusReporter) setInfo(info rtsp.StreamInfo) {
	s.mu.Lock()
	s.info = info
	s.mu.Unlock()
}

// frame records an analysed frame taken at t.
func (s *statusReporter) frame(t time.Time) {
	s.mu.Lock()
	s.lastFrame = t
	s.rate.Add(t)
	s.mu.Unlock()
}

// lastFrameAt is when the last analysed frame was taken; zero if none.
func (s *statusReporter) lastFrameAt() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastFrame
}

// tick derives online/degraded from the frame flow and refreshes the
// status when it is due.
func (s *statusReporter) tick(now time.Time) {
	s.mu.Lock()
	state, last, pub := s.state, s.lastFrame, s.published
	s.mu.Unlock()
	fresh := !last.IsZero() && now.Sub(last) < s.staleAfter()
	switch {
	case fresh && state != event.StateOnline:
		s.setState(event.StateOnline, nil)
	case !fresh && state == event.StateOnline:
		s.setState(event.StateDegraded, nil)
	case now.Sub(pub) >= statusEvery:
		s.publish(now)
	}
}

// staleAfter is how long without an analysed frame before a camera counts
// as degraded: five analysis intervals, at least 5 s.
func (s *statusReporter) staleAfter() time.Duration {
	d := 5 * time.Second
	if s.fps > 0 {
		if f := time.Duration(5 / s.fps * float64(time.Second)); f > d {
			d = f
		}
	}
	return d
}

// online reports whether frames are flowing.
func (s *statusReporter) online() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state == event.StateOnline
}

// status builds the camera's retained status payload.
func (s *statusReporter) status(now time.Time) event.CameraStatus {
	mode := s.decodeMode()
	s.mu.Lock()
	defer s.mu.Unlock()
	st := event.CameraStatus{
		State:        s.state,
		FPS:          s.rate.Rate(now),
		Codec:        s.info.Codec,
		Width:        s.info.Width,
		Height:       s.info.Height,
		URL:          s.url,
		Error:        s.lastErr,
		Manufacturer: s.device.Manufacturer,
		Model:        s.device.Model,
		Serial:       s.device.Serial,
		Profile:      s.device.Profile,
		Source:       s.source,
		DecodeMode:   mode,
	}
	if !s.lastFrame.IsZero() {
		st.LastFrame = event.Timestamp(s.lastFrame)
	}
	st.View = s.view.mode
	if !s.view.changed.IsZero() {
		st.ViewChanged = event.Timestamp(s.view.changed)
	}
	if st.State == event.StateOnline {
		st.Error = ""
	}
	return st
}

// publish sends the retained status. A failure is only logged: the
// publisher keeps the latest retained status and sends it after a
// reconnect, and the next change or refresh sends it again.
func (s *statusReporter) publish(now time.Time) {
	msg := event.NewCameraStatus(s.site, s.agent, s.name, now, s.status(now))
	s.mu.Lock()
	s.published = now
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.pub.Publish(ctx, msg); err != nil {
		s.failed.Log("err", err)
	}
}
