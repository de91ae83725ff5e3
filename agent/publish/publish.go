// Package publish is how the agent hands messages to the command centre.
// The mqtt subpackage implements Publisher with paho and a disk spool
// (agent/publish/spool).
package publish

import (
	"context"

	"github.com/pantau/pantau/agent/event"
)

// Publisher accepts messages for delivery. Publish returns once the message
// is accepted: for Durable messages that means written to the disk spool
// (it survives a crash and is delivered when the broker is reachable), not
// acknowledged by the broker. It is safe for concurrent use.
type Publisher interface {
	Publish(ctx context.Context, m event.Message) error
}
