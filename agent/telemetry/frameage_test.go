package telemetry

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestLastFrameAgeCountsPictures: access units that never become pictures
// (a stream without keyframes, a decoder that keeps failing) leave the
// age growing, so the alert in docs/operations.md fires.
func TestLastFrameAgeCountsPictures(t *testing.T) {
	clk := newClock()
	m, reg := newMetrics(t, WithClock(clk.now), WithoutRuntimeCollectors())
	c := m.Camera("cam1")
	c.FrameDecoded(time.Millisecond)
	for i := 0; i < 40; i++ {
		clk.add(time.Second)
		c.FrameReceived()
	}
	want := `
# HELP pantau_last_frame_age_seconds Seconds since the camera's last picture was decoded (or since the camera was added, before its first picture).
# TYPE pantau_last_frame_age_seconds gauge
pantau_last_frame_age_seconds{camera="cam1"} 40
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "pantau_last_frame_age_seconds"); err != nil {
		t.Error(err)
	}
	c.FrameDecoded(time.Millisecond)
	want = strings.Replace(want, "} 40", "} 0", 1)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "pantau_last_frame_age_seconds"); err != nil {
		t.Error(err)
	}
}
