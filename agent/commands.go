package agent

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/pantau/pantau/agent/event"
)

// snapshotTimeout bounds the wait for the next analysed frame.
const snapshotTimeout = 5 * time.Second

// commands answers the command centre's …/cmd/{name} messages.
type commands struct{ a *Agent }

// HandleCommand runs one command and returns its result body.
func (h *commands) HandleCommand(ctx context.Context, name string, body []byte) (any, error) {
	cmd, err := event.ParseCommand(name, body)
	if err != nil {
		return nil, err
	}
	a := h.a
	if !a.config().Commands.Allowed(name) {
		return nil, fmt.Errorf("command %q is disabled in this agent's config", name)
	}
	switch name {
	case event.CmdReload:
		if err := a.Reload(ctx); err != nil {
			return nil, err
		}
		return map[string]any{"cameras": len(a.config().Cameras)}, nil
	case event.CmdStatus:
		return a.statusReport(), nil
	case event.CmdSnapshot:
		return a.snapshot(ctx, cmd)
	case event.CmdDiscover:
		return a.discoverNow(ctx, cmd)
	}
	return nil, fmt.Errorf("unknown command %q", name)
}

// statusReport is the status command's result: the agent status and every
// camera's status.
func (a *Agent) statusReport() map[string]any {
	now := time.Now()
	a.mu.Lock()
	cams := map[string]event.CameraStatus{}
	for name, r := range a.cams {
		cams[name] = r.cam.status(now)
	}
	a.mu.Unlock()
	return map[string]any{"agent": a.agentStatus(), "cameras": cams}
}

func (a *Agent) camera(name string) (*camera, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r, ok := a.cams[name]
	if !ok {
		return nil, false
	}
	return r.cam, true
}

func (a *Agent) snapshot(ctx context.Context, cmd event.Command) (any, error) {
	c, ok := a.camera(cmd.Camera)
	if !ok {
		return nil, fmt.Errorf("snapshot: no camera %q", cmd.Camera)
	}
	ctx, cancel := context.WithTimeout(ctx, snapshotTimeout)
	defer cancel()
	res, err := c.snaps.Take(ctx)
	if err != nil {
		return nil, fmt.Errorf("snapshot of %s: %w", cmd.Camera, err)
	}
	out := event.SnapshotResult{
		Camera: cmd.Camera, ContentType: "image/jpeg", Width: res.Width, Height: res.Height,
		Taken: event.Timestamp(res.Taken),
	}
	if cmd.Inline {
		out.JPEGBase64 = base64.StdEncoding.EncodeToString(res.JPEG)
	} else {
		h := a.config().HTTP
		out.URL = snapshotURL(h.Listen, h.TLS.CertFile != "", cmd.Camera)
	}
	return out, nil
}

// snapshotURL is where the command centre fetches a camera's snapshot:
// the HTTP listener's address, with this host's name when it listens on
// every interface (":9090"). Fetching it needs the listener's credentials
// when it is off loopback.
func snapshotURL(listen string, tls bool, camera string) string {
	host, port, err := net.SplitHostPort(listen)
	if err == nil && (host == "" || host == "0.0.0.0" || host == "::") {
		if h, err := os.Hostname(); err == nil {
			listen = net.JoinHostPort(h, port)
		}
	}
	scheme := "http://"
	if tls {
		scheme = "https://"
	}
	return scheme + listen + "/snapshot/" + camera + ".jpg"
}

// snapshotHandler serves /snapshot/{camera}.jpg: the camera's next
// analysed frame.
func snapshotHandler(a *Agent) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/snapshot/"), ".jpg")
		c, ok := a.camera(name)
		if !ok {
			http.Error(w, fmt.Sprintf("no camera %q", name), http.StatusNotFound)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), snapshotTimeout)
		defer cancel()
		res, err := c.snaps.Take(ctx)
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		_, _ = w.Write(res.JPEG)
	})
}
