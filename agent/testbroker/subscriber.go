package testbroker

import (
	"crypto/tls"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// Message is one message a Subscriber received.
type Message struct {
	Topic    string
	Payload  []byte
	Retained bool
	QoS      byte
	Received time.Time
}

// Subscriber is a paho client that records every message on its topic
// filter, in arrival order. It reconnects and resubscribes by itself.
type Subscriber struct {
	client paho.Client

	mu      sync.Mutex
	msgs    []Message
	changed chan struct{}
}

// SubOption changes how a Subscriber connects.
type SubOption func(*paho.ClientOptions)

// Persistent gives the subscriber a fixed client id and a persistent
// session (clean session off), so a broker with WithPersistence keeps
// QoS 1 messages for it while it or the broker is away.
func Persistent(clientID string) SubOption {
	return func(o *paho.ClientOptions) { o.SetClientID(clientID).SetCleanSession(false) }
}

// WithSubTLS connects with this TLS configuration (use Broker.TLSURL).
func WithSubTLS(c *tls.Config) SubOption {
	return func(o *paho.ClientOptions) { o.SetTLSConfig(c) }
}

// WithSubAuth connects with a username and password.
func WithSubAuth(user, pass string) SubOption {
	return func(o *paho.ClientOptions) { o.SetUsername(user).SetPassword(pass) }
}

var subSeq atomic.Int64

// Subscribe connects to url, subscribes to filter at QoS 1 and returns once
// the broker acknowledged the subscription. t.Cleanup disconnects it.
func Subscribe(t TB, url, filter string, opts ...SubOption) *Subscriber {
	t.Helper()
	s := &Subscriber{changed: make(chan struct{})}
	subscribed := make(chan error, 1)
	o := paho.NewClientOptions().
		AddBroker(url).
		SetClientID(fmt.Sprintf("testsub-%d-%d", time.Now().UnixNano()%1e6, subSeq.Add(1))).
		SetConnectRetry(true).
		SetConnectRetryInterval(200 * time.Millisecond).
		SetAutoReconnect(true).
		SetMaxReconnectInterval(500 * time.Millisecond).
		SetConnectTimeout(2 * time.Second).
		SetOrderMatters(true)
	for _, opt := range opts {
		opt(o)
	}
	o.SetOnConnectHandler(func(c paho.Client) {
		tok := c.Subscribe(filter, 1, s.record)
		var err error
		if !tok.WaitTimeout(5 * time.Second) {
			err = fmt.Errorf("subscribe %q: no SUBACK within 5 s", filter)
		} else {
			err = tok.Error()
		}
		select {
		case subscribed <- err:
		default:
		}
	})
	s.client = paho.NewClient(o)
	s.client.Connect()
	t.Cleanup(s.Close)
	select {
	case err := <-subscribed:
		if err != nil {
			t.Fatalf("testbroker: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("testbroker: subscriber could not connect to %s within 10 s", url)
	}
	return s
}

func (s *Subscriber) record(_ paho.Client, m paho.Message) {
	s.mu.Lock()
	s.msgs = append(s.msgs, Message{
		Topic:    m.Topic(),
		Payload:  append([]byte(nil), m.Payload()...),
		Retained: m.Retained(),
		QoS:      m.Qos(),
		Received: time.Now(),
	})
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// Messages returns a copy of everything received so far.
func (s *Subscriber) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// On returns the messages received on exactly this topic.
func (s *Subscriber) On(topic string) []Message {
	var out []Message
	for _, m := range s.Messages() {
		if m.Topic == topic {
			out = append(out, m)
		}
	}
	return out
}

// Reset forgets the messages received so far.
func (s *Subscriber) Reset() {
	s.mu.Lock()
	s.msgs = nil
	s.mu.Unlock()
}

// Wait blocks until done returns true for the messages received so far and
// returns them; it fails the test after timeout, listing what arrived.
func (s *Subscriber) Wait(t TB, timeout time.Duration, what string, done func([]Message) bool) []Message {
	t.Helper()
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		msgs := append([]Message(nil), s.msgs...)
		changed := s.changed
		s.mu.Unlock()
		if done(msgs) {
			return msgs
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("testbroker: waited %v for %s; received %d messages:\n%s", timeout, what, len(msgs), summary(msgs))
			return nil
		}
	}
}

// WaitTopic waits for a message on exactly this topic whose payload
// contains substr ("" for any) and returns the latest such message.
func (s *Subscriber) WaitTopic(t TB, timeout time.Duration, topic, substr string) Message {
	t.Helper()
	match := func(m Message) bool { return m.Topic == topic && strings.Contains(string(m.Payload), substr) }
	msgs := s.Wait(t, timeout, fmt.Sprintf("a message on %s containing %q", topic, substr), func(ms []Message) bool {
		for _, m := range ms {
			if match(m) {
				return true
			}
		}
		return false
	})
	for i := len(msgs) - 1; i >= 0; i-- {
		if match(msgs[i]) {
			return msgs[i]
		}
	}
	return Message{}
}

// Publish sends payload on topic at QoS 1 through the subscriber's
// connection and waits for the PUBACK (the command centre's side of a test).
func (s *Subscriber) Publish(t TB, topic string, payload []byte, retained bool) {
	t.Helper()
	tok := s.client.Publish(topic, 1, retained, payload)
	if !tok.WaitTimeout(5 * time.Second) {
		t.Fatalf("testbroker: publish %s: no PUBACK within 5 s", topic)
	}
	if err := tok.Error(); err != nil {
		t.Fatalf("testbroker: publish %s: %v", topic, err)
	}
}

// Close disconnects the subscriber.
func (s *Subscriber) Close() {
	// Also stops a client that is still trying to (re)connect.
	s.client.Disconnect(100)
}

func summary(msgs []Message) string {
	var b strings.Builder
	start := 0
	if len(msgs) > 20 {
		start = len(msgs) - 20
		fmt.Fprintf(&b, "  … %d earlier\n", start)
	}
	for _, m := range msgs[start:] {
		p := string(m.Payload)
		if len(p) > 160 {
			p = p[:160] + "…"
		}
		fmt.Fprintf(&b, "  %s retained=%t %s\n", m.Topic, m.Retained, p)
	}
	return b.String()
}
