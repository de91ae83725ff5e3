package agent

import (
	"context"
	"errors"

	"github.com/pantau/pantau/agent/event"
)

// discoverNow runs an ONVIF discovery round now (the discover command).
func (a *Agent) discoverNow(ctx context.Context, cmd event.Command) (any, error) {
	return nil, errors.New("discover: ONVIF discovery is not wired in yet")
}
