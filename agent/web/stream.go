package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"time"

	"github.com/pantau/pantau/agent/live"
)

// frameWait bounds the wait for a camera's next analysed frame.
const frameWait = 10 * time.Second

// tap returns the named camera's live tap, or answers 404.
func (u *UI) tap(w http.ResponseWriter, r *http.Request) (*live.Tap, bool) {
	name := r.PathValue("name")
	for _, c := range u.b.Cameras() {
		if c.Name == name {
			return u.b.Live().Tap(name), true
		}
	}
	writeError(w, http.StatusNotFound, fmt.Sprintf("no camera %q", name))
	return nil, false
}

// streaming prepares a long response: no write deadline (the server's
// applies to whole responses) and no buffering by proxies.
func streaming(w http.ResponseWriter, contentType string) *http.ResponseController {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // not every writer supports it; then the server's applies
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	return rc
}

// snapshot answers the camera's next analysed frame as JPEG.
func (u *UI) snapshot(w http.ResponseWriter, r *http.Request) {
	t, ok := u.tap(w, r)
	if !ok {
		return
	}
	ch, cancel := t.Subscribe(true)
	defer cancel()
	ctx, stop := context.WithTimeout(r.Context(), frameWait)
	defer stop()
	for {
		select {
		case f := <-ch:
			if f.JPEG == nil {
				continue // subscribed between encode and hand-off
			}
			w.Header().Set("Content-Type", "image/jpeg")
			w.Header().Set("Cache-Control", "no-store")
			_, _ = w.Write(f.JPEG)
			return
		case <-ctx.Done():
			writeError(w, http.StatusServiceUnavailable, "no frame from the camera within "+frameWait.String())
			return
		}
	}
}

// mjpeg streams analysed frames as multipart/x-mixed-replace, for tools
// (VLC, an <img>) that want a plain picture stream.
func (u *UI) mjpeg(w http.ResponseWriter, r *http.Request) {
	t, ok := u.tap(w, r)
	if !ok {
		return
	}
	ch, cancel := t.Subscribe(true)
	defer cancel()
	mw := multipart.NewWriter(w)
	rc := streaming(w, "multipart/x-mixed-replace; boundary="+mw.Boundary())
	w.WriteHeader(http.StatusOK)
	for {
		select {
		case <-r.Context().Done():
			return
		case f := <-ch:
			if f.JPEG == nil {
				continue
			}
			h := textproto.MIMEHeader{}
			h.Set("Content-Type", "image/jpeg")
			h.Set("Content-Length", fmt.Sprint(len(f.JPEG)))
			h.Set("X-Frame-Seq", fmt.Sprint(f.Seq))
			pw, err := mw.CreatePart(h)
			if err != nil {
				return
			}
			if _, err := pw.Write(f.JPEG); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
		}
	}
}

// feedFrame is one message of the analysis feed.
type feedFrame struct {
	*live.Frame
	// JPEG is the frame's picture (base64) when the feed was asked for
	// pictures: picture and overlay in one message stay in step.
	JPEG string `json:"jpeg,omitempty"`
}

// feed is the analysis feed as Server-Sent Events: one "frame" event per
// analysed frame (latest wins when the reader is slow). With
// ?pictures=1 each event carries its JPEG too.
func (u *UI) feed(w http.ResponseWriter, r *http.Request) {
	t, ok := u.tap(w, r)
	if !ok {
		return
	}
	pictures := r.URL.Query().Get("pictures") == "1"
	ch, cancel := t.Subscribe(pictures)
	defer cancel()
	rc := streaming(w, "text/event-stream")
	w.WriteHeader(http.StatusOK)
	pump(w, r, rc, ch, func(f *live.Frame) error {
		msg := feedFrame{Frame: f}
		if pictures && f.JPEG != nil {
			msg.JPEG = base64.StdEncoding.EncodeToString(f.JPEG)
		}
		return sse(w, "frame", msg)
	})
}

// events streams every camera's events as Server-Sent Events, the last
// ones first.
func (u *UI) events(w http.ResponseWriter, r *http.Request) {
	recent, ch, cancel := u.b.Live().SubscribeEvents()
	defer cancel()
	rc := streaming(w, "text/event-stream")
	w.WriteHeader(http.StatusOK)
	for _, e := range recent {
		if err := sse(w, "event", e); err != nil {
			return
		}
	}
	_ = rc.Flush()
	pump(w, r, rc, ch, func(e live.Event) error { return sse(w, "event", e) })
}

// pump writes what arrives on ch as Server-Sent Events until the client
// goes away or a write fails, with a comment every 15 s so proxies keep
// the connection open.
func pump[T any](w http.ResponseWriter, r *http.Request, rc *http.ResponseController, ch <-chan T, write func(T) error) {
	keep := time.NewTicker(15 * time.Second)
	defer keep.Stop()
	for {
		var err error
		select {
		case <-r.Context().Done():
			return
		case <-keep.C:
			_, err = fmt.Fprint(w, ": keep-alive\n\n")
		case v := <-ch:
			err = write(v)
		}
		if err == nil {
			err = rc.Flush()
		}
		if err != nil {
			return
		}
	}
}

func sse(w http.ResponseWriter, event string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b)
	return err
}
