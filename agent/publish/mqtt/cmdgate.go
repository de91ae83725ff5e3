package mqtt

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"
)

// dedupeFor is how long a command id is remembered.
const dedupeFor = time.Hour

// maxRemembered bounds the ids remembered (a flood of fresh ids must not
// grow memory without end); the oldest go first.
const maxRemembered = 10000

// cmdGate decides, before a command runs, whether it may: at most one
// command of each name at a time, ids seen within dedupeFor answered with
// the first answer, commands older than max_age refused. Safe for
// concurrent use.
type cmdGate struct {
	mu      sync.Mutex
	running map[string]bool           // by command name
	seen    map[string]*commandMemory // by id
	order   []string                  // ids by first sight
}

type commandMemory struct {
	at   time.Time
	done bool
	out  commandOutcome
}

// header is what the gate reads of a command body.
type cmdHeader struct {
	ID        string `json:"id"`
	RequestID string `json:"request_id"`
	TS        string `json:"ts"`
}

// admit returns (nil, true) when the command may run; the caller must call
// finish. Otherwise it returns the answer to give now.
func (g *cmdGate) admit(name string, body []byte, now time.Time, maxAge time.Duration) (*commandOutcome, bool) {
	var h cmdHeader
	_ = json.Unmarshal(body, &h) // a malformed body is refused by its schema when run
	id := h.ID
	if id == "" {
		id = h.RequestID
	}
	key := ""
	if id != "" {
		key = name + "\x00" + id
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.running == nil {
		g.running, g.seen = map[string]bool{}, map[string]*commandMemory{}
	}
	g.forget(now)
	if m, ok := g.seen[key]; ok && key != "" {
		if m.done {
			out := m.out
			return &out, false
		}
		return &commandOutcome{requestID: h.RequestID, err: fmt.Errorf("command %s: busy: this command (id %q) is running already", name, id)}, false
	}
	if h.TS == "" {
		return &commandOutcome{requestID: h.RequestID, err: fmt.Errorf("command %s: ts: required (RFC 3339 time it was sent; commands older than %v are refused)", name, maxAge)}, false
	}
	ts, err := time.Parse(time.RFC3339Nano, h.TS)
	if err != nil {
		return &commandOutcome{requestID: h.RequestID, err: fmt.Errorf("command %s: ts: not an RFC 3339 time", name)}, false
	}
	if age := now.Sub(ts); age > maxAge {
		return &commandOutcome{requestID: h.RequestID, err: fmt.Errorf("command %s: sent %v ago, more than commands.max_age %v: refused (queued while the agent was away, or a wrong clock)", name, age.Round(time.Second), maxAge)}, false
	} else if age < -maxAge {
		return &commandOutcome{requestID: h.RequestID, err: fmt.Errorf("command %s: ts is %v ahead of this agent's clock, more than commands.max_age %v: refused (a wrong clock here or at the sender)", name, (-age).Round(time.Second), maxAge)}, false
	}
	if g.running[name] {
		return &commandOutcome{requestID: h.RequestID, err: fmt.Errorf("command %s: busy: another %s is running, try again", name, name)}, false
	}
	g.running[name] = true
	if key != "" {
		g.seen[key] = &commandMemory{at: now}
		g.order = append(g.order, key)
	}
	return nil, true
}

// finish records the answer of an admitted command.
func (g *cmdGate) finish(name string, body []byte, out commandOutcome) {
	var h cmdHeader
	_ = json.Unmarshal(body, &h)
	key := h.ID
	if key == "" {
		key = h.RequestID
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.running, name)
	if m, ok := g.seen[name+"\x00"+key]; ok && key != "" {
		m.done, m.out = true, out
	}
}

// forget drops ids older than dedupeFor, and the oldest beyond
// maxRemembered. A command still running keeps its id (its answer is
// due); one that never returns must not keep every later id too, so past
// maxRemembered the finished ones behind it go, oldest first.
func (g *cmdGate) forget(now time.Time) {
	n := 0
	for n < len(g.order) {
		m := g.seen[g.order[n]]
		if m != nil && now.Sub(m.at) < dedupeFor && len(g.order)-n <= maxRemembered {
			break
		}
		if m != nil && !m.done {
			break
		}
		delete(g.seen, g.order[n])
		n++
	}
	g.order = g.order[n:]
	if excess := len(g.order) - maxRemembered; excess > 0 {
		keep := g.order[:0]
		for _, k := range g.order {
			if m := g.seen[k]; excess > 0 && (m == nil || m.done) {
				delete(g.seen, k)
				excess--
				continue
			}
			keep = append(keep, k)
		}
		g.order = keep
	}
}
