package hub

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/hub/store"
)

// Reasons a message is refused; each is counted per site
// (pantau_hub_invalid_total{reason}) and summarised in the log.
const (
	ReasonTooLarge = "too_large"    // payload over limits.max_payload
	ReasonTopic    = "topic"        // not a topic of contract v1
	ReasonJSON     = "json"         // payload is not a JSON object
	ReasonSchema   = "schema"       // fails the v1 JSON Schema (or disagrees with its topic)
	ReasonFuture   = "future_ts"    // ts further ahead than limits.future_skew
	ReasonFlood    = "rate_limited" // the site sent more than limits.site_rate allows
)

// otherSite labels sites beyond limits.max_sites (and topics without a
// usable site level), so a sender cannot grow the metrics without bound.
const otherSite = "other"

// envelope is what the hub reads of every payload before storing it.
type envelope struct {
	Schema string `json:"schema"`
	ID     string `json:"id"`
	Seq    uint64 `json:"seq"`
	TS     string `json:"ts"`
	Camera string `json:"camera"`
}

// verdict is the outcome of checking one message.
type verdict struct {
	site   string // label for metrics and logs
	reason string // "" when the message is good
	ignore bool   // a command request: neither stored nor refused
	msg    store.Msg
	err    error // what was wrong, for the summary log's first example
}

// checker validates messages; it keeps per-site token buckets and the set
// of site labels. Safe for concurrent use.
type checker struct {
	maxPayload int
	futureSkew time.Duration
	rate       float64
	burst      float64
	maxSites   int

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// siteLabel returns the label under which site is counted.
func (c *checker) siteLabel(site string) string {
	if event.CheckName(site, false) != nil {
		return otherSite
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.buckets[site]; !ok {
		if len(c.buckets) >= c.maxSites {
			return otherSite
		}
		c.buckets[site] = &bucket{tokens: c.burst}
	}
	return site
}

// allow takes one token from site's bucket.
func (c *checker) allow(site string, now time.Time) bool {
	if c.rate <= 0 {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.buckets[site]
	if b == nil {
		return true // "other" sites share no bucket: they are few by construction
	}
	if !b.last.IsZero() {
		b.tokens = min(c.burst, b.tokens+now.Sub(b.last).Seconds()*c.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// check decides what to do with one message received at now.
func (c *checker) check(topic string, payload []byte, now time.Time) verdict {
	var v verdict
	rest, _ := strings.CutPrefix(topic, event.TopicPrefix+"/")
	first, _, _ := strings.Cut(rest, "/")
	v.site = c.siteLabel(first)
	if len(payload) > c.maxPayload {
		v.reason = ReasonTooLarge
		return v
	}
	site, agent, sub, err := event.ParseTopic(topic)
	if err == nil && (event.CheckName(site, false) != nil || event.CheckName(agent, false) != nil) {
		err = fmt.Errorf("topic %q: site or agent is not a valid name", topic)
	}
	if err != nil {
		v.reason, v.err = ReasonTopic, err
		return v
	}
	if p := strings.Split(sub, "/"); len(p) == 2 && p[0] == "cmd" {
		v.ignore = true // the command centre's own request to an agent
		return v
	}
	if v.site != otherSite && !c.allow(v.site, now) {
		v.reason = ReasonFlood
		return v
	}
	var env envelope
	if err := json.Unmarshal(payload, &env); err != nil {
		v.reason, v.err = ReasonJSON, err
		return v
	}
	if err := event.Validate(topic, payload); err != nil {
		v.reason, v.err = ReasonSchema, err
		if strings.Contains(err.Error(), "is not a topic") {
			v.reason = ReasonTopic
		}
		return v
	}
	ts := now
	if env.TS != "" {
		if ts, err = time.Parse(time.RFC3339Nano, env.TS); err != nil {
			v.reason, v.err = ReasonSchema, err
			return v
		}
	}
	if ts.Sub(now) > c.futureSkew {
		v.reason = ReasonFuture
		return v
	}
	v.msg = store.Msg{ID: env.ID, Schema: env.Schema, Site: site, Agent: agent, Camera: env.Camera,
		Seq: env.Seq, TS: ts, Recv: now, Payload: payload}
	return v
}
