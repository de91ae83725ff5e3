package hub

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoAgentRuntime: the hub shares the contract with the agent, not its
// runtime. Its packages (the fleet simulation aside, which drives the
// agent's publish path on purpose) may import from agent/ only the
// contract, the config structs, the logging helpers, the one retry
// (stdlib only) and HTTP auth.
func TestNoAgentRuntime(t *testing.T) {
	allowed := map[string]bool{
		"github.com/pantau/pantau/agent/event":    true,
		"github.com/pantau/pantau/agent/config":   true,
		"github.com/pantau/pantau/agent/logging":  true,
		"github.com/pantau/pantau/agent/httpauth": true,
		"github.com/pantau/pantau/agent/retry":    true,
	}
	out, err := exec.Command("go", "list", "-deps", ".", "./store", "./web", "./config").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/pantau/pantau/agent") && !allowed[p] {
			t.Errorf("the hub imports %s", p)
		}
	}
}
