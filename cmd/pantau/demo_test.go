package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// TestDemoRunsAndStopsByItself runs `pantau demo --duration` as make demo
// does (camera simulator, embedded broker, agent, live view) and checks
// that the live view shows the agent and camera online, events and counts
// with people named person, and that it stops by itself.
func TestDemoRunsAndStopsByItself(t *testing.T) {
	clip := "../../testdata/clips/vtest_h264.mp4"
	if _, err := os.Stat(clip); err != nil {
		t.Fatalf("%s missing: run scripts/setup.sh (make test does)", clip)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	httpAddr := l.Addr().String()
	l.Close()
	var out, errOut bytes.Buffer
	start := time.Now()
	err = cmdDemo(context.Background(), []string{"--clip", clip, "--duration", "12s", "--http", httpAddr}, &out, &errOut)
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, errOut.String())
	}
	if took := time.Since(start); took > 60*time.Second {
		t.Errorf("demo --duration 12s took %v to stop", took)
	}
	view := out.String()
	for _, want := range []string{
		"status                   [retained]", "state=online",
		"cam1/status", "cam1/event/", "cam1/counts", "frames_analysed=",
		"pantau demo: stopped",
	} {
		if !strings.Contains(view, want) {
			t.Errorf("live view lacks %q:\n%s", want, view)
		}
	}
	// The default detector names the walkers (make demo shows people
	// counted as person); "object" is only the blob detector's.
	if !strings.Contains(view, "class=person") || strings.Contains(view, "class=object") {
		t.Errorf("live view should name the walkers class=person, never object:\n%s", view)
	}
	if !strings.Contains(view, "state=offline") {
		t.Errorf("the agent did not publish its offline status when the demo stopped:\n%s", view)
	}
}

func TestDemoNamesTheMissingClip(t *testing.T) {
	var out, errOut bytes.Buffer
	err := cmdDemo(context.Background(), []string{"--clip", "no/such.mp4"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "no/such.mp4") || !strings.Contains(err.Error(), "setup.sh") {
		t.Fatalf("error %v, want one naming the clip and the set-up step", err)
	}
}
