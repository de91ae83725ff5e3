package main

import (
	"strings"
	"testing"
	"time"
)

func TestViewLine(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)
	cases := []struct {
		name, topic, payload string
		retained             bool
		want                 []string
		not                  []string
	}{
		{"motion event", "pantau/v1/demo/box/cam1/event/motion",
			`{"schema":"pantau.event.motion/v1","id":"x1","seq":7,"ts":"t","site":"demo","agent":"box","camera":"cam1","state":"start","area":0.0345}`,
			false, []string{"03:04:05 cam1/event/motion", "seq=7 ", "state=start", "area=0.0345"}, []string{"id=", "schema=", "site="}},
		{"retained status", "pantau/v1/demo/box/status", `{"state":"online","cameras":1}`, true,
			[]string{"status", "[retained]", "cameras=1", "state=online"}, nil},
		{"nested counts", "pantau/v1/demo/box/cam1/counts", `{"seq":3,"lines":[{"rule":"mid","in":{"object":2}}]}`, false,
			[]string{`lines=[{"in":{"object":2},"rule":"mid"}]`}, nil},
		{"not json", "pantau/v1/demo/box/x", `hello`, false, []string{`"hello"`}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := viewLine(now, c.topic, []byte(c.payload), c.retained)
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("line %q lacks %q", got, w)
				}
			}
			for _, w := range c.not {
				if strings.Contains(got, w) {
					t.Errorf("line %q should not contain %q", got, w)
				}
			}
		})
	}
}
