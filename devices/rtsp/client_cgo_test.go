//go:build cgo

package rtsp_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/camsim"
	"github.com/pantau/pantau/devices/rtsp"
)

// nalType returns the NAL unit type of n.
func nalType(codec string, n []byte) int {
	if codec == "h265" {
		return int(n[0]>>1) & 0x3f
	}
	return int(n[0]) & 0x1f
}

func TestReceive(t *testing.T) {
	cases := []struct {
		name, clip, codec string
		outOfBand         bool
		params            []int // NAL types a random-access unit starts with
	}{
		{"h264 in-band parameter sets", "vtest_h264.mp4", "h264", false, []int{7, 8}},
		{"h265 in-band parameter sets", "vtest_h265.mp4", "h265", false, []int{32, 33, 34}},
		{"h264 parameter sets only in SDP", "vtest_h264.mp4", "h264", true, []int{7, 8}},
		{"h265 parameter sets only in SDP", "vtest_h265.mp4", "h265", true, []int{32, 33, 34}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sim := startSim(t, camsim.Config{Clip: tc.clip, StartFrame: 22, OutOfBandParams: tc.outOfBand})
			r := startClient(t, rtsp.Config{URL: sim.URL()})

			// 27 units span two keyframes (GOP 25 at 10 fps).
			var prev time.Time
			for i := range 27 {
				au := r.next(t)
				if au.Codec != tc.codec {
					t.Fatalf("unit %d: codec %q, want %q", i, au.Codec, tc.codec)
				}
				if want := time.Duration(i) * 100 * time.Millisecond; au.PTS != want {
					t.Errorf("unit %d: PTS %v, want %v", i, au.PTS, want)
				}
				if want := i%25 == 0; au.RandomAccess != want {
					t.Errorf("unit %d: RandomAccess %v, want %v", i, au.RandomAccess, want)
				}
				if au.Received.Before(prev) {
					t.Errorf("unit %d: Received %v before the previous %v", i, au.Received, prev)
				}
				prev = au.Received
				var types []int
				for _, n := range au.NALUs {
					if len(n) == 0 {
						t.Fatalf("unit %d: empty NAL unit", i)
					}
					types = append(types, nalType(tc.codec, n))
				}
				if au.RandomAccess {
					if len(types) <= len(tc.params) || !equalInts(types[:len(tc.params)], tc.params) {
						t.Errorf("unit %d: random-access NAL types %v, want them to start with %v", i, types, tc.params)
					}
				} else if tc.outOfBand && containsAny(types, tc.params) {
					t.Errorf("unit %d: parameter sets %v in a non-keyframe of an SDP-only stream", i, types)
				}
			}
			select {
			case info := <-r.infos:
				want := rtsp.StreamInfo{Codec: tc.codec, Width: 768, Height: 576, FPS: 10}
				if info != want {
					t.Errorf("OnInfo got %+v, want %+v", info, want)
				}
			default:
				t.Error("OnInfo was never called")
			}
			if st := r.client.Stats(); st.AccessUnits < 27 || st.Bytes == 0 || st.DecodeErrors != 0 {
				t.Errorf("Stats %+v: want ≥27 access units, bytes, no decode errors", st)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func containsAny(have, want []int) bool {
	for _, h := range have {
		for _, w := range want {
			if h == w {
				return true
			}
		}
	}
	return false
}

func TestCredentials(t *testing.T) {
	sim := startSim(t, camsim.Config{Clip: "vtest_h264.mp4", StartFrame: 22, User: "operator", Password: "S3cr3t-pw"})
	cases := []struct {
		name, url string
		wantErr   error
		wantText  string
	}{
		{"right credentials", withUser(sim.URL(), "operator", "S3cr3t-pw"), nil, ""},
		{"wrong password", withUser(sim.URL(), "operator", "Wr0ng-pw"), rtsp.ErrAuth, "wrong credentials"},
		{"unknown user", withUser(sim.URL(), "intruder", "Wr0ng-pw"), rtsp.ErrAuth, "wrong credentials"},
		{"no credentials", sim.URL(), rtsp.ErrAuth, "credentials required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := startClient(t, rtsp.Config{URL: tc.url})
			if tc.wantErr == nil {
				if au := r.next(t); !au.RandomAccess {
					t.Error("first unit is not random access")
				}
				return
			}
			err := r.wait(t)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			t.Logf("error: %v", err)
			msg := err.Error()
			if !strings.Contains(msg, tc.wantText) {
				t.Errorf("error %q does not say %q", msg, tc.wantText)
			}
			for _, secret := range []string{"Wr0ng", "S3cr3t", "operator", "intruder"} {
				if strings.Contains(msg, secret) {
					t.Errorf("error %q leaks %q", msg, secret)
				}
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	sim := startSim(t, camsim.Config{Clip: "vtest_h264.mp4"})
	r := startClient(t, rtsp.Config{URL: strings.TrimSuffix(sim.URL(), "/cam") + "/nope"})
	err := r.wait(t)
	t.Logf("error: %v", err)
	if !errors.Is(err, rtsp.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

// TestReadTimeout: a camera that keeps the connection open but stops
// sending makes Run fail with ErrTimeout instead of waiting forever.
func TestReadTimeout(t *testing.T) {
	sim := startSim(t, camsim.Config{Clip: "vtest_h264.mp4", StartFrame: 22})
	r := startClient(t, rtsp.Config{URL: sim.URL(), ReadTimeout: time.Second})
	r.next(t)
	sim.SetPaused(true)
	err := r.wait(t)
	t.Logf("error: %v", err)
	if !errors.Is(err, rtsp.ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if !strings.Contains(err.Error(), "no data for 1s") {
		t.Errorf("error %q does not say how long the stream was silent", err)
	}
}

// TestStreamCut: the stream ending mid-way is an error (the supervisor
// reconnects), never a nil return.
func TestStreamCut(t *testing.T) {
	cases := []struct {
		name string
		cut  func(*camsim.Server)
	}{
		{"server stopped", (*camsim.Server).Close},
		{"clients dropped", func(s *camsim.Server) {
			if err := s.DropClients(); err != nil {
				t.Error(err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sim := startSim(t, camsim.Config{Clip: "vtest_h265.mp4", StartFrame: 22})
			r := startClient(t, rtsp.Config{URL: sim.URL(), ReadTimeout: 5 * time.Second})
			r.next(t)
			tc.cut(sim)
			err := r.wait(t)
			t.Logf("error: %v", err)
			if err == nil {
				t.Fatal("Run returned nil after the stream was cut")
			}
			if !errors.Is(err, rtsp.ErrClosed) {
				t.Errorf("err = %v, want ErrClosed", err)
			}
		})
	}
}

func TestManyClients(t *testing.T) {
	sim := startSim(t, camsim.Config{Clip: "vtest_h264.mp4", StartFrame: 22})
	const n = 12
	rs := make([]*receiver, n)
	for i := range rs {
		rs[i] = startClient(t, rtsp.Config{URL: sim.URL()})
	}
	for i, r := range rs {
		first := r.next(t)
		if !first.RandomAccess {
			t.Errorf("client %d: first unit is not random access", i)
		}
		for range 5 {
			if au := r.next(t); au.PTS <= first.PTS {
				t.Errorf("client %d: PTS %v not after %v", i, au.PTS, first.PTS)
			}
		}
	}
	if got := sim.Clients(); got != n {
		t.Errorf("server counts %d sessions, want %d", got, n)
	}
}

// TestCancel: cancelling the context mid-stream ends Run with nil.
func TestCancel(t *testing.T) {
	sim := startSim(t, camsim.Config{Clip: "vtest_h264.mp4", StartFrame: 22})
	r := startClient(t, rtsp.Config{URL: sim.URL()})
	r.next(t)
	r.cancel()
	if err := r.wait(t); err != nil {
		t.Fatalf("Run after cancel = %v, want nil", err)
	}
}

// TestUDP: the udp transport works against a server that offers it.
func TestUDP(t *testing.T) {
	sim := startSimUDP(t)
	r := startClient(t, rtsp.Config{URL: sim.URL(), Transport: "udp"})
	for i := range 5 {
		au := r.next(t)
		if i == 0 && !au.RandomAccess {
			t.Error("first unit is not random access")
		}
	}
}

// startSimUDP starts a simulator offering UDP on a free even port pair.
func startSimUDP(t *testing.T) *camsim.Server {
	t.Helper()
	for port := 20000 + 2*(time.Now().Nanosecond()%5000); ; port += 2 {
		cfg := camsim.Config{Clip: clipPath(t, "vtest_h264.mp4"), Addr: "127.0.0.1:0", StartFrame: 22,
			UDPAddr: "127.0.0.1:" + strconv.Itoa(port)}
		s, err := camsim.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Start(context.Background()); err != nil {
			if port > 40000 {
				t.Fatal(err)
			}
			continue
		}
		t.Cleanup(s.Close)
		return s
	}
}
