package agent

import (
	"context"
	"github.com/pantau/pantau/devices/urlcred"
	"time"

	"github.com/pantau/pantau/agent/event"
)

// statusEvery is how often a camera re-sends its retained status while
// nothing changes, so fps and last_frame stay fresh.
const statusEvery = 10 * time.Second

// setState records the camera's state and publishes it when it changed.
func (c *camera) setState(state string, err error) {
	c.mu.Lock()
	changed := c.state != state
	c.state = state
	if err != nil {
		c.lastErr = urlcred.RedactText(err.Error())
	} else if state == event.StateOnline {
		c.lastErr = ""
	}
	c.mu.Unlock()
	c.metrics.StreamUp(state == event.StateOnline)
	if changed {
		c.log.Info("camera state", "state", state)
		c.publishStatus(time.Now())
	}
}

// tick is called by the agent every second: it derives online/degraded
// from the frame flow, closes count intervals and refreshes the status.
func (c *camera) tick(now time.Time) {
	c.mu.Lock()
	state, last, pub, tickers, agg := c.state, c.lastFrame, c.published, c.tickers, c.agg
	c.mu.Unlock()
	agg.Tick(now)
	for _, t := range tickers {
		for _, ev := range t.Tick(now) {
			agg.AddEvent(ev)
		}
	}
	fresh := !last.IsZero() && now.Sub(last) < c.staleAfter()
	switch {
	case fresh && state != event.StateOnline:
		c.setState(event.StateOnline, nil)
	case !fresh && state == event.StateOnline:
		c.setState(event.StateDegraded, nil)
	case now.Sub(pub) >= statusEvery:
		c.publishStatus(now)
	}
}

// staleAfter is how long without an analysed frame before a camera counts
// as degraded: five analysis intervals, at least 5 s.
func (c *camera) staleAfter() time.Duration {
	d := 5 * time.Second
	if c.cfg.FPS > 0 {
		if f := time.Duration(5 / c.cfg.FPS * float64(time.Second)); f > d {
			d = f
		}
	}
	return d
}

// Online reports whether frames are flowing.
func (c *camera) Online() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state == event.StateOnline
}

// status builds the camera's retained status payload.
func (c *camera) status(now time.Time) event.CameraStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := event.CameraStatus{
		State:        c.state,
		FPS:          c.fps.Rate(now),
		Codec:        c.info.Codec,
		Width:        c.info.Width,
		Height:       c.info.Height,
		URL:          urlcred.RedactText(c.cfg.URL),
		Error:        c.lastErr,
		Manufacturer: c.device.Manufacturer,
		Model:        c.device.Model,
		Serial:       c.device.Serial,
		Profile:      c.device.Profile,
		Source:       c.source,
	}
	if !c.lastFrame.IsZero() {
		st.LastFrame = event.Timestamp(c.lastFrame)
	}
	if c.pipe != nil {
		st.DecodeMode = c.pipe.Mode()
	}
	st.View = c.view.mode
	if !c.view.changed.IsZero() {
		st.ViewChanged = event.Timestamp(c.view.changed)
	}
	if st.State == event.StateOnline {
		st.Error = ""
	}
	return st
}

func (c *camera) publishStatus(now time.Time) {
	msg := event.NewCameraStatus(c.site, c.agent, c.cfg.Name, now, c.status(now))
	c.mu.Lock()
	c.published = now
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.pub.Publish(ctx, msg); err != nil {
		c.log.Warn("publishing camera status", "err", err)
	}
}

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
