package hub

import (
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/hub/internal/fixture"
)

func newChecker() *checker {
	return &checker{maxPayload: 4096, futureSkew: 5 * time.Minute, rate: 1, burst: 3, maxSites: 2, buckets: map[string]*bucket{}}
}

// TestCheck: one case per reason, with the site each is counted under.
func TestCheck(t *testing.T) {
	now := time.Now().UTC()
	good, payload := fixture.Wire(fixture.Counts("s1", "a1", "c1", now, time.Minute, 1, 0, 0), "", 1)
	_, future := fixture.Wire(fixture.Counts("s1", "a1", "c1", now.Add(time.Hour), time.Minute, 1, 0, 0), "", 2)
	cases := []struct {
		name, topic, payload, site, reason string
	}{
		{"good", good, string(payload), "s1", ""},
		{"not json", good, `{"schema":`, "s1", ReasonJSON},
		{"schema", good, `{"schema":"pantau.counts/v1"}`, "s1", ReasonSchema},
		{"topic says another camera", strings.Replace(good, "/c1/", "/c2/", 1), string(payload), "s1", ReasonSchema},
		{"unknown subtopic", "pantau/v1/s1/a1/c1/nope", `{}`, "s1", ReasonTopic},
		{"short topic", "pantau/v1/s1", `{}`, "s1", ReasonTopic},
		{"other prefix", "other/x", `{}`, otherSite, ReasonTopic},
		{"future", good, string(future), "s1", ReasonFuture},
		{"too large", good, strings.Repeat("x", 5000), "s1", ReasonTooLarge},
		{"bad site name", "pantau/v1/s+1/a/c/counts", `{}`, otherSite, ReasonTopic},
	}
	for _, c := range cases {
		v := newChecker().check(c.topic, []byte(c.payload), now)
		if v.site != c.site || v.reason != c.reason {
			t.Errorf("%s: site %q reason %q, want %q %q (%v)", c.name, v.site, v.reason, c.site, c.reason, v.err)
		}
	}
	// Commands to agents are neither stored nor refused.
	if v := newChecker().check("pantau/v1/s1/a1/cmd/reload", []byte(`{"request_id":"r"}`), now); !v.ignore || v.reason != "" {
		t.Errorf("command: %+v", v)
	}
	// A burst of 3, then 1 per second; a third site is counted as "other".
	c := newChecker()
	var got []string
	for i := range 5 {
		got = append(got, c.check(good, payload, now.Add(time.Duration(i)*100*time.Millisecond)).reason)
	}
	got = append(got, c.check(good, payload, now.Add(2*time.Second)).reason)
	if strings.Join(got, ",") != ",,,rate_limited,rate_limited," {
		t.Errorf("flood: %q", got)
	}
	c.siteLabel("s2")
	if l := c.siteLabel("s3"); l != otherSite {
		t.Errorf("third site label %q, want %q", l, otherSite)
	}
}

// FuzzCheck: whatever arrives, the checker neither panics nor passes a
// message the store could not take.
func FuzzCheck(f *testing.F) {
	good, payload := fixture.Wire(fixture.Counts("s1", "a1", "c1", time.Now(), time.Minute, 1, 0, 0), "", 1)
	f.Add(good, payload)
	f.Add("pantau/v1/s1/a1/status", []byte(`{"schema":"pantau.agent.status/v1"}`))
	f.Add("pantau/v1/s1/a1/c1/event/tamper", []byte(`[]`))
	f.Fuzz(func(t *testing.T, topic string, p []byte) {
		v := newChecker().check(topic, p, time.Now())
		if v.reason == "" && !v.ignore && (v.msg.ID == "" || v.msg.Schema == "" || v.msg.Site == "") {
			t.Errorf("accepted without an envelope: %+v", v.msg)
		}
	})
}
