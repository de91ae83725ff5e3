package agent

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/agent/logging"
	"github.com/pantau/pantau/agent/publish/mqtt"
	"github.com/pantau/pantau/agent/testbroker"
	"github.com/pantau/pantau/vision"
)

func TestLineDirectionFiltersEventsNotCounts(t *testing.T) {
	c := &intervalClock{current: config.Camera{Lines: []config.Line{
		{Name: "gate", Direction: config.DirectionIn},
		{Name: "road"},
	}}}
	for _, tc := range []struct {
		rule, dir string
		want      bool
	}{
		{"gate", "in", true}, {"gate", "out", false}, {"road", "out", true}, {"other", "out", true},
	} {
		if got := c.wantsCrossing(tc.rule, tc.dir); got != tc.want {
			t.Errorf("%s %s: event raised %v, want %v", tc.rule, tc.dir, got, tc.want)
		}
	}
}

func TestOccupancyGaugesReturnToZero(t *testing.T) {
	g := occupancyGauges{}
	var sets []string
	set := func(zone, class string, n int) { sets = append(sets, fmt.Sprintf("%s/%s=%d", zone, class, n)) }
	frame := func(byClass map[string]int) {
		g.update([]vision.ZoneOccupancy{{Zone: "plaza", ByClass: byClass}}, set)
	}
	frame(map[string]int{"object": 2})
	frame(map[string]int{"object": 2}) // unchanged: not set again
	frame(map[string]int{"object": 1, "car": 1})
	frame(map[string]int{}) // the last objects left: back to 0
	frame(map[string]int{})
	want := "plaza/object=2 plaza/object=1 plaza/car=1 plaza/car=0 plaza/object=0"
	got := strings.Join(sets, " ")
	// Map order within one frame is not fixed; compare as sets per frame.
	if len(sets) != 5 || !strings.HasPrefix(got, "plaza/object=2 ") || !strings.Contains(got, "plaza/car=1") ||
		!strings.Contains(got, "plaza/car=0") || !strings.Contains(got, "plaza/object=0") {
		t.Errorf("gauge updates %q, want (in any order within a frame) %q", got, want)
	}
}

// TestFullSpoolLoggedOnce: counts refused by a full spool (the real
// publisher and spool; the broker is down) are summarised by the
// publisher's drop line alone, not again as the camera's publish
// failures: the first drop at once, then one line for the period, through
// the one summariser.
func TestFullSpoolLoggedOnce(t *testing.T) {
	logs := &testbroker.LogBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	sum := logging.NewSummariser(log, 10*time.Second)
	mq, err := mqtt.New(mqtt.Config{
		URL: "tcp://" + freeAddr(t), Site: "s", Agent: "a", Summary: sum,
		Spool: mqtt.SpoolConfig{Dir: t.TempDir(), MaxBytes: 16 << 10, Policy: "drop_newest", Fsync: "never"},
	}, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	defer mq.Close()
	k := &intervalClock{pub: mq, log: log, pubFailed: sum.Counter("could not publish %d messages in the last %s", "camera", "cam1")}
	end := time.Now().Truncate(time.Minute)
	for i := 0; i < 200; i++ {
		k.emit(event.NewCounts("s", "a", "cam1", end.Add(time.Duration(i)*time.Minute), event.Counts{}))
	}
	if n, _, _ := mq.SpoolStats(); n == 0 || n >= 200 {
		t.Fatalf("%d messages spooled of 200; the test wants the spool full part-way", n)
	}
	sum.Flush()
	sum.Flush()
	out := logs.String()
	if n := strings.Count(out, "spool dropped messages"); n != 2 || !strings.Contains(out, "full=1 ") {
		t.Errorf("%d spool drop lines, want 2 naming the reason (the first drop, then the period's line):\n%s", n, out)
	}
	if strings.Contains(out, "could not publish") {
		t.Errorf("the full spool was logged twice (as the camera's publish failures too):\n%s", out)
	}
}
