package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// envelopeKeys are the fields every message carries; the live view leaves
// them out to keep one message on one line.
var envelopeKeys = map[string]bool{"schema": true, "id": true, "site": true, "agent": true, "camera": true, "ts": true}

// viewLine renders one MQTT message as a line of the demo's live view:
// local time, the topic after pantau/v1/{site}/{agent}/, then the payload's
// own fields as key=value, nested values as compact JSON.
func viewLine(now time.Time, topic string, payload []byte, retained bool) string {
	var b strings.Builder
	b.WriteString(now.Format("15:04:05 "))
	short := topic
	if parts := strings.SplitN(topic, "/", 5); len(parts) == 5 && parts[0] == "pantau" {
		short = parts[4]
	}
	fmt.Fprintf(&b, "%-24s", short)
	if retained {
		b.WriteString(" [retained]")
	}
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		fmt.Fprintf(&b, " %q", truncate(string(payload), 120))
		return b.String()
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		if !envelopeKeys[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	// seq first: it is what proves nothing was lost.
	keys = moveFirst(keys, "seq")
	for _, k := range keys {
		v := m[k]
		switch v := v.(type) {
		case string:
			fmt.Fprintf(&b, " %s=%s", k, v)
		case float64:
			fmt.Fprintf(&b, " %s=%s", k, formatNumber(v))
		case nil:
		default:
			js, _ := json.Marshal(v)
			fmt.Fprintf(&b, " %s=%s", k, truncate(string(js), 160))
		}
	}
	return b.String()
}

func moveFirst(keys []string, k string) []string {
	for i, x := range keys {
		if x == k {
			copy(keys[1:i+1], keys[:i])
			keys[0] = k
			break
		}
	}
	return keys
}

func formatNumber(v float64) string {
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.3g", v)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
