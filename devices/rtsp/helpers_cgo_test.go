//go:build cgo

// The tests in *_cgo_test.go files pull real streams from the camera
// simulator (agent/camsim, a gortsplib server on loopback reading the test
// clips with libavformat). They need cgo; the package itself does not, so
// `CGO_ENABLED=0 go test` still runs the pure tests.

package rtsp_test

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/camsim"
	"github.com/pantau/pantau/devices/rtsp"
)

// clipPath returns the path of a test clip, failing with the set-up step
// when it is missing.
func clipPath(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join("..", "..", "testdata", "clips", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("test clip %s missing (%v): run scripts/setup.sh", p, err)
	}
	return p
}

// startSim starts a camera simulator on a free loopback port; cfg.Clip is
// a clip name. It is closed when the test ends. vtest clips have a
// keyframe every 25 frames at 10 fps: StartFrame 22 puts one 0.3 s away.
func startSim(t testing.TB, cfg camsim.Config) *camsim.Server {
	t.Helper()
	cfg.Clip = clipPath(t, cfg.Clip)
	cfg.Addr = "127.0.0.1:0"
	s, err := camsim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// withUser puts user:pass into an rtsp:// URL.
func withUser(url, user, pass string) string {
	return "rtsp://" + user + ":" + pass + "@" + url[len("rtsp://"):]
}

// receiver runs one client in the background and collects what it hands
// out; its callback never blocks, as the pipeline's must not.
type receiver struct {
	client  *rtsp.Client
	aus     chan rtsp.AccessUnit
	infos   chan rtsp.StreamInfo
	dropped atomic.Int64
	err     chan error // Run's result
	cancel  context.CancelFunc
}

func startClient(t testing.TB, cfg rtsp.Config) *receiver {
	t.Helper()
	r := &receiver{
		aus:   make(chan rtsp.AccessUnit, 1024),
		infos: make(chan rtsp.StreamInfo, 16),
		err:   make(chan error, 1),
	}
	cfg.OnInfo = func(i rtsp.StreamInfo) {
		select {
		case r.infos <- i:
		default:
		}
	}
	r.client = rtsp.New(cfg, func(au rtsp.AccessUnit) {
		select {
		case r.aus <- au:
		default:
			r.dropped.Add(1)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.err <- r.client.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-r.err
	})
	return r
}

// next returns the next access unit, failing the test if Run ends first or
// nothing comes within 10 s.
func (r *receiver) next(t testing.TB) rtsp.AccessUnit {
	t.Helper()
	select {
	case au := <-r.aus:
		return au
	case err := <-r.err:
		r.err <- err
		t.Fatalf("client stopped before an access unit arrived: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no access unit within 10 s")
	}
	return rtsp.AccessUnit{}
}

// wait returns Run's error, failing the test if Run is still going after
// 15 s.
func (r *receiver) wait(t testing.TB) error {
	t.Helper()
	select {
	case err := <-r.err:
		r.err <- err
		return err
	case <-time.After(15 * time.Second):
		t.Fatal("client still running after 15 s")
	}
	return nil
}
