package mqtt

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/pantau/pantau/agent/event"
)

// HandleCommands sets the handler of commands that passed validation.
// Until it is set, valid commands get an error result.
func (c *Client) HandleCommands(h CommandHandler) {
	c.mu.Lock()
	c.handler = h
	c.mu.Unlock()
}

// maxCommandsInFlight bounds the commands being handled or answered at
// once, of every name together (the gate allows one per name, and names
// are whatever the sender makes up).
const maxCommandsInFlight = 16

// onMessage receives everything the broker sends; only …/cmd/{name} is
// subscribed. paho calls it in a goroutine per message; past
// maxCommandsInFlight that goroutine drops the command at once, so a
// flood costs no more than that many goroutines for longer than a moment
// (an answer, even "busy", is a publish that may wait for the broker).
func (c *Client) onMessage(_ paho.Client, m paho.Message) {
	name, ok := strings.CutPrefix(m.Topic(), c.base+"cmd/")
	if !ok || name == "" || strings.Contains(name, "/") {
		return
	}
	select {
	case c.cmdSlots <- struct{}{}:
		defer func() { <-c.cmdSlots }()
	default:
		c.cmdFlood.Log()
		return
	}
	body := append([]byte(nil), m.Payload()...)
	c.mu.Lock()
	ctx := c.runCtx
	c.mu.Unlock()
	if ctx == nil {
		return
	}
	if len(body) > c.cfg.Commands.MaxBody {
		c.answer(ctx, name, commandOutcome{err: fmt.Errorf("command %s: body of %d bytes exceeds the limit of %d", name, len(body), c.cfg.Commands.MaxBody)})
		return
	}
	if _, err := event.ParseCommand(name, body); err != nil {
		c.answer(ctx, name, c.command(ctx, name, body)) // refused without running
		return
	}
	if out, ok := c.gate.admit(name, body, time.Now(), c.cfg.Commands.MaxAge); !ok {
		c.answer(ctx, name, *out)
		return
	}
	out := c.command(ctx, name, body)
	c.gate.finish(name, body, out)
	c.answer(ctx, name, out)
}

type commandOutcome struct {
	requestID string
	result    any
	err       error
}

// command validates a command and runs the handler.
func (c *Client) command(ctx context.Context, name string, body []byte) commandOutcome {
	if len(body) > c.cfg.Commands.MaxBody {
		return commandOutcome{err: fmt.Errorf("command %s: body of %d bytes exceeds the limit of %d", name, len(body), c.cfg.Commands.MaxBody)}
	}
	cmd, err := event.ParseCommand(name, body)
	out := commandOutcome{requestID: cmd.RequestID}
	known := slices.Contains(event.Commands, name)
	switch {
	case known && c.cfg.Commands.Enabled != nil && !*c.cfg.Commands.Enabled:
		out.err = fmt.Errorf("command %s: commands are disabled on this agent", name)
	case known && slices.Contains(c.cfg.Commands.Disabled, name):
		out.err = fmt.Errorf("command %s: disabled in this agent's config", name)
	case err != nil:
		out.err = err
	}
	if out.err != nil {
		return out
	}
	c.mu.Lock()
	h := c.handler
	c.mu.Unlock()
	if h == nil {
		out.err = fmt.Errorf("command %s: the agent is not ready for commands yet", name)
		return out
	}
	hctx, cancel := context.WithTimeout(ctx, c.cfg.Commands.Timeout)
	defer cancel()
	out.result, out.err = h.HandleCommand(hctx, name, body)
	return out
}

// answer publishes the command's result (not retained, not spooled).
func (c *Client) answer(ctx context.Context, name string, out commandOutcome) {
	if len(name) > 64 || strings.ContainsAny(name, "+#") {
		name = "invalid" // keep the result topic sane for garbage names
	}
	msg := event.NewCommandResult(c.cfg.Site, c.cfg.Agent, name, out.requestID, time.Now(), out.result, out.err)
	err := c.Publish(ctx, msg)
	if errors.Is(err, ErrTooLarge) {
		// Tell the sender rather than leave it waiting (a snapshot asked
		// inline can be larger than a broker should carry).
		msg = event.NewCommandResult(c.cfg.Site, c.cfg.Agent, name, out.requestID, time.Now(), nil,
			fmt.Errorf("command %s: the result is larger than this agent's max_payload of %d bytes", name, c.cfg.MaxPayload))
		err = c.Publish(ctx, msg)
	}
	if err != nil {
		c.log.Warn("mqtt: could not publish command result", "command", name, "err", err)
	}
}
