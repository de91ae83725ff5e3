package camsim_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/camsim"
	"github.com/pantau/pantau/devices/rtsp"
)

// TestSlowDescribeAndDialTimeout: a camera slow to answer DESCRIBE fails
// a client whose dial timeout is shorter, with a timeout ("no answer"),
// not a refusal; a longer dial timeout gets the stream.
func TestSlowDescribeAndDialTimeout(t *testing.T) {
	s := start(t, camsim.Config{Clip: "vtest_h264.mp4", Impair: camsim.Impairments{SlowDescribe: 1500 * time.Millisecond}})
	err := rtsp.New(rtsp.Config{URL: s.URL(), DialTimeout: 500 * time.Millisecond}, func(rtsp.AccessUnit) {}).Run(context.Background())
	if !errors.Is(err, rtsp.ErrTimeout) || errors.Is(err, rtsp.ErrConnect) || !strings.Contains(err.Error(), "no answer") {
		t.Errorf("short dial timeout: %v, want a timeout naming no answer", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n := 0
	err = rtsp.New(rtsp.Config{URL: s.URL(), DialTimeout: 4 * time.Second}, func(rtsp.AccessUnit) {
		if n++; n == 10 {
			cancel()
		}
	}).Run(ctx)
	if err != nil || n < 10 {
		t.Errorf("long dial timeout: %v after %d units", err, n)
	}
}

// TestJitterAndLoss: with jitter the stream still arrives in order; with
// loss the client sees lost packets.
func TestJitterAndLoss(t *testing.T) {
	jit := start(t, camsim.Config{Clip: "vtest_h264.mp4", Impair: camsim.Impairments{Jitter: 80 * time.Millisecond}})
	aus, err := pull(t, jit.URL(), 20)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(aus); i++ {
		if aus[i].PTS <= aus[i-1].PTS {
			t.Fatalf("unit %d: pts %v after %v", i, aus[i].PTS, aus[i-1].PTS)
		}
	}
	lossy := start(t, camsim.Config{Clip: "vtest_h264.mp4", Impair: camsim.Impairments{Loss: 0.2}})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	c := rtsp.New(rtsp.Config{URL: lossy.URL()}, func(rtsp.AccessUnit) {})
	if err := c.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.PacketsLost == 0 {
		t.Errorf("20 %% loss: client saw no lost packets (%+v)", st)
	}
}
