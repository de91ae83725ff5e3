package camsim_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/pantau/pantau/agent/camsim"
	"github.com/pantau/pantau/devices/rtsp"
	"github.com/pantau/pantau/vision/clip"
	"github.com/pion/rtp"
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

// start starts a simulator on a free loopback port; cfg.Clip is a clip
// name. vtest clips have keyframes every 25 frames (0, 25, 50 …).
func start(t testing.TB, cfg camsim.Config) *camsim.Server {
	t.Helper()
	cfg.Clip = clipPath(t, cfg.Clip)
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
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

// pull runs an rtsp client until it has n access units or fails; it
// returns the units and Run's error (nil when it got all n).
func pull(t testing.TB, url string, n int) ([]rtsp.AccessUnit, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got := make(chan rtsp.AccessUnit, n)
	c := rtsp.New(rtsp.Config{URL: url}, func(au rtsp.AccessUnit) {
		select {
		case got <- au:
		default:
		}
		if len(got) == n {
			cancel()
		}
	})
	err := c.Run(ctx)
	close(got)
	var aus []rtsp.AccessUnit
	for au := range got {
		aus = append(aus, au)
	}
	if err == nil && len(aus) < n {
		t.Fatalf("got %d access units in 20 s, want %d", len(aus), n)
	}
	return aus, err
}

func TestNewErrors(t *testing.T) {
	vtest := clipPath(t, "vtest_h264.mp4")
	cases := []struct {
		name string
		cfg  camsim.Config
		want string
	}{
		{"no clip", camsim.Config{}, "clip: no file given"},
		{"missing file", camsim.Config{Clip: "nope.mp4"}, "nope.mp4"},
		{"not H.264/H.265", camsim.Config{Clip: filepath.Join("..", "..", "testdata", "vtest.avi")}, "unsupported video codec"},
		{"corrupt ratio", camsim.Config{Clip: vtest, CorruptRatio: 1.5}, "corrupt ratio 1.5"},
		{"bad address", camsim.Config{Clip: vtest, Addr: "8554"}, `address "8554"`},
		{"bad port", camsim.Config{Clip: vtest, Addr: ":http-alt"}, "bad port"},
		{"odd UDP port", camsim.Config{Clip: vtest, UDPAddr: ":8001"}, "even RTP port"},
		{"password without user", camsim.Config{Clip: vtest, Password: "x"}, "password given without a user"},
		{"start frame", camsim.Config{Clip: vtest, StartFrame: 795}, "start frame 795: clip has 795 frames"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := camsim.New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New error = %v, want it to say %q", err, tc.want)
			}
		})
	}
}

// clipNALUs returns every NAL unit of a clip, as strings for set lookup.
func clipNALUs(t *testing.T, name string) (map[string]bool, string) {
	t.Helper()
	aus, info, err := clip.ReadAll(clipPath(t, name))
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	for _, au := range aus {
		for _, n := range au.NALUs {
			set[string(n)] = true
		}
	}
	return set, info.Codec
}

// TestTransportIsExact: without corruption every NAL unit a client gets
// is byte for byte one of the clip's; with CorruptRatio some slices are
// not, their NAL header and the parameter sets are intact.
func TestTransportIsExact(t *testing.T) {
	cases := []struct {
		clip    string
		ratio   float64
		corrupt bool
	}{
		{"vtest_h264.mp4", 0, false},
		{"vtest_h265.mp4", 0, false},
		{"vtest_h264.mp4", 0.3, true},
		{"vtest_h265.mp4", 0.3, true},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/ratio=%v", tc.clip, tc.ratio), func(t *testing.T) {
			t.Parallel()
			want, codec := clipNALUs(t, tc.clip)
			sim := start(t, camsim.Config{Clip: tc.clip, StartFrame: 24, CorruptRatio: tc.ratio})
			aus, err := pull(t, sim.URL(), 15)
			if err != nil {
				t.Fatal(err)
			}
			changed, slices := 0, 0
			for i, au := range aus {
				for _, n := range au.NALUs {
					typ := nalType(codec, n)
					isSlice := codec == "h264" && typ >= 1 && typ <= 5 || codec == "h265" && typ <= 31
					if !isSlice && !want[string(n)] {
						t.Errorf("unit %d: NAL type %d (not a slice) differs from the clip", i, typ)
					}
					if isSlice {
						slices++
						if !want[string(n)] {
							changed++
						}
					}
				}
			}
			_, corrupted := sim.Stats()
			t.Logf("%d of %d slices differ from the clip; server corrupted %d", changed, slices, corrupted)
			if tc.corrupt && (changed == 0 || corrupted == 0) {
				t.Errorf("CorruptRatio %v: %d slices changed, server counted %d corrupted, want some", tc.ratio, changed, corrupted)
			}
			if !tc.corrupt && (changed != 0 || corrupted != 0) {
				t.Errorf("no corruption asked: %d slices differ from the clip, server counted %d", changed, corrupted)
			}
		})
	}
}

func nalType(codec string, n []byte) int { return clip.NALType(codec, n) }

// TestLoop: at the end of the clip the stream goes on with its first
// frame, one frame period later, a keyframe.
func TestLoop(t *testing.T) {
	sim := start(t, camsim.Config{Clip: "vtest_h264.mp4", StartFrame: 770})
	aus, err := pull(t, sim.URL(), 30) // frames 775 … 794, then 0 … 9
	if err != nil {
		t.Fatal(err)
	}
	for i, au := range aus {
		if want := time.Duration(i) * 100 * time.Millisecond; au.PTS != want {
			t.Errorf("unit %d: PTS %v, want %v", i, au.PTS, want)
		}
		if want := i == 0 || i == 20; au.RandomAccess != want {
			t.Errorf("unit %d: RandomAccess %v, want %v", i, au.RandomAccess, want)
		}
	}
	// Paced in real time: 29 frame periods of 100 ms cannot arrive in
	// much less than 2.9 s (a lower bound only; a slow machine is slower).
	if d := aus[len(aus)-1].Received.Sub(aus[0].Received); d < 2*time.Second {
		t.Errorf("30 frames at 10 fps arrived within %v: not paced in real time", d)
	}
}

// TestRestart: Close cuts the stream (clients fail), Start again serves
// at the same URL.
func TestRestart(t *testing.T) {
	sim := start(t, camsim.Config{Clip: "vtest_h265.mp4", StartFrame: 24})
	url := sim.URL()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan struct{}, 1)
	c := rtsp.New(rtsp.Config{URL: url}, func(rtsp.AccessUnit) {
		select {
		case got <- struct{}{}:
		default:
		}
	})
	errc := make(chan error, 1)
	go func() { errc <- c.Run(ctx) }()
	<-got
	sim.Close()
	if err := <-errc; !errors.Is(err, rtsp.ErrClosed) {
		t.Fatalf("client after Close: %v, want ErrClosed", err)
	}
	if _, err := pull(t, url, 1); !errors.Is(err, rtsp.ErrConnect) {
		t.Fatalf("client while closed: %v, want ErrConnect", err)
	}
	if err := sim.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if sim.URL() != url {
		t.Fatalf("restarted at %s, want %s", sim.URL(), url)
	}
	if _, err := pull(t, url, 3); err != nil {
		t.Fatalf("client after restart: %v", err)
	}
}

// TestStartCancelled: cancelling Start's context stops the server.
func TestStartCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s, err := camsim.New(camsim.Config{Clip: clipPath(t, "vtest_h264.mp4"), Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := pull(t, s.URL(), 1)
		if errors.Is(err, rtsp.ErrConnect) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("server still answers after its context was cancelled: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestFFmpegPlays: a third-party client (ffmpeg) decodes the stream, with
// Digest/Basic authentication, without errors.
func TestFFmpegPlays(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Fatal("ffmpeg not found: run scripts/setup.sh")
	}
	for _, name := range []string{"vtest_h264.mp4", "vtest_h265.mp4"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sim := start(t, camsim.Config{Clip: name, StartFrame: 24, User: "admin", Password: "pw-123"})
			url := strings.Replace(sim.URL(), "rtsp://", "rtsp://admin:pw-123@", 1)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, ffmpeg, "-nostdin", "-v", "error", "-rtsp_transport", "tcp",
				"-i", url, "-frames:v", "12", "-f", "null", "-").CombinedOutput()
			if err != nil {
				t.Fatalf("ffmpeg: %v\n%s", err, out)
			}
			// Joining a live stream mid-GOP (StartFrame 24, the keyframe
			// is 25), ffmpeg's decoders report the missing references of
			// the pictures before the first keyframe, as with any camera:
			// HEVC always, H.264 when its stream probe already decodes
			// frame 24 (seen under load). Anything else is a fault.
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				if line != "" && !joinMessage(line) {
					t.Errorf("ffmpeg: %s", line)
				}
			}
		})
	}
}

// joinMessage tells whether an ffmpeg error line is one its H.264 or
// HEVC decoder prints for a picture whose references were sent before the
// client joined ("Last message repeated" follows such a line).
func joinMessage(line string) bool {
	for _, m := range []string{"Could not find ref with POC", "reference picture missing during reorder",
		"Missing reference picture", "Last message repeated"} {
		if strings.Contains(line, m) {
			return true
		}
	}
	return false
}

// TestStartFrame: with StartFrame on a non-keyframe, the first picture a
// raw client (gortsplib, no waiting for a keyframe) gets is that frame or
// one shortly after, not random access — what a decoder joining a camera
// mid-GOP must survive.
func TestStartFrame(t *testing.T) {
	aus, _, err := clip.ReadAll(clipPath(t, "vtest_h264.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	frameOf := map[string]int{}
	for i, au := range aus {
		for _, n := range au.NALUs {
			if nalType("h264", n) <= 5 {
				frameOf[string(n)] = i
			}
		}
	}
	sim := start(t, camsim.Config{Clip: "vtest_h264.mp4", StartFrame: 10})
	u, err := base.ParseURL(sim.URL())
	if err != nil {
		t.Fatal(err)
	}
	tcp := gortsplib.TransportTCP
	c := gortsplib.Client{Scheme: u.Scheme, Host: u.Host, Transport: &tcp}
	if err := c.Start2(); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	desc, _, err := c.Describe(u)
	if err != nil {
		t.Fatal(err)
	}
	var forma *format.H264
	medi := desc.FindFormat(&forma)
	if medi == nil {
		t.Fatal("no H.264 track")
	}
	dec, err := forma.CreateDecoder()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Setup(desc.BaseURL, medi, 0, 0); err != nil {
		t.Fatal(err)
	}
	first := make(chan [][]byte, 1)
	c.OnPacketRTP(medi, forma, func(pkt *rtp.Packet) {
		if au, err := dec.Decode(pkt); err == nil {
			select {
			case first <- au:
			default:
			}
		}
	})
	if _, err := c.Play(nil); err != nil {
		t.Fatal(err)
	}
	select {
	case au := <-first:
		frame := -1
		for _, n := range au {
			if nalType("h264", n) == 5 {
				t.Fatalf("first access unit is an IDR, want a non-keyframe (StartFrame 10)")
			}
			if i, ok := frameOf[string(n)]; ok {
				frame = i
			}
		}
		// The stream starts at frame 10 when Start returns; the next
		// keyframe is frame 25, 1.5 s later.
		if frame < 10 || frame >= 25 {
			t.Fatalf("first access unit is frame %d of the clip, want 10 to 24", frame)
		}
		t.Logf("first access unit: frame %d", frame)
	case <-time.After(10 * time.Second):
		t.Fatal("no access unit within 10 s")
	}
}
