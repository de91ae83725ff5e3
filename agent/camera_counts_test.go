package agent

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/agent/logging"
	"github.com/pantau/pantau/agent/publish/mqtt"
)

// TestFullSpoolLoggedOnce: counts refused by a full spool (the real
// publisher and spool; the broker is down) are summarised by the
// publisher's drop line alone, not again as the camera's publish
// failures: one line for the period, through the one summariser.
func TestFullSpoolLoggedOnce(t *testing.T) {
	logs := &syncBuffer{}
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
	if n := strings.Count(out, "spool dropped messages"); n != 1 || !strings.Contains(out, "full=") {
		t.Errorf("%d spool drop lines, want 1 naming the reason:\n%s", n, out)
	}
	if strings.Contains(out, "could not publish") {
		t.Errorf("the full spool was logged twice (as the camera's publish failures too):\n%s", out)
	}
}
