package main

import (
	"fmt"
	"io"
	"log/slog"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// demoBroker is the embedded MQTT broker of `pantau demo` (mochi-mqtt), so
// the demo needs no broker installed. It listens on loopback only and lets
// anyone in: it is a demo, not a deployment.
type demoBroker struct {
	srv  *mochi.Server
	addr string
}

// startDemoBroker starts the broker on addr ("127.0.0.1:0" picks a free
// port). The caller must Close it.
func startDemoBroker(addr string) (*demoBroker, error) {
	srv := mochi.New(&mochi.Options{
		InlineClient: true,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err := srv.AddHook(new(auth.AllowHook), nil); err != nil {
		return nil, err
	}
	tcp := listeners.NewTCP(listeners.Config{ID: "demo", Address: addr})
	if err := srv.AddListener(tcp); err != nil {
		return nil, fmt.Errorf("embedded MQTT broker on %s: %w", addr, err)
	}
	go func() { _ = srv.Serve() }()
	return &demoBroker{srv: srv, addr: tcp.Address()}, nil
}

// URL is the broker's address for MQTT clients.
func (b *demoBroker) URL() string { return "tcp://" + b.addr }

// Subscribe calls fn for every message published on filter, from the
// broker's own goroutines.
func (b *demoBroker) Subscribe(filter string, fn func(topic string, payload []byte, retained bool)) error {
	return b.srv.Subscribe(filter, 1, func(_ *mochi.Client, _ packets.Subscription, pk packets.Packet) {
		fn(pk.TopicName, pk.Payload, pk.FixedHeader.Retain)
	})
}

// Close stops the broker.
func (b *demoBroker) Close() error { return b.srv.Close() }
