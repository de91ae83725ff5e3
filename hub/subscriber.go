package hub

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"

	agentcfg "github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/devices/urlcred"
	"github.com/pantau/pantau/hub/config"
)

// subscriber holds the hub's MQTT session: persistent (clean session off,
// a stable client id), QoS 1, and each message acknowledged only once the
// hub has stored it, so a hub that dies loses nothing: the broker sends the
// unacknowledged messages again.
type subscriber struct {
	client paho.Client
	filter string
	log    *slog.Logger
}

func newSubscriber(cfg *config.Config, log *slog.Logger, handle func(topic string, payload []byte, ack func()), connected prometheus.Gauge) (*subscriber, error) {
	m := cfg.MQTT
	filter := cfg.Subscribe.Topic
	if cfg.Subscribe.Share != "" {
		filter = "$share/" + cfg.Subscribe.Share + "/" + filter
	}
	s := &subscriber{filter: filter, log: log}
	opts := paho.NewClientOptions().
		AddBroker(brokerURL(m.URL)).
		SetClientID(m.ClientID).
		SetUsername(m.Username).
		SetPassword(m.Password).
		SetCleanSession(false).
		SetAutoAckDisabled(true).
		SetOrderMatters(true).
		SetKeepAlive(m.Keepalive).
		SetConnectTimeout(m.ConnectTimeout).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).
		SetMaxReconnectInterval(30 * time.Second)
	if isTLS(m.URL) {
		tc, err := tlsConfig(m.TLS)
		if err != nil {
			return nil, err
		}
		opts.SetTLSConfig(tc)
	}
	opts.SetDefaultPublishHandler(func(_ paho.Client, msg paho.Message) {
		handle(msg.Topic(), msg.Payload(), msg.Ack)
	})
	opts.SetOnConnectHandler(func(c paho.Client) {
		log.Info("connected to the central broker", "broker", urlcred.Redact(m.URL), "subscribe", filter)
		// The session keeps the subscription, but a broker that lost its
		// state (no persistence) would not: subscribe every time.
		tok := c.Subscribe(filter, 1, nil)
		go func() {
			if !tok.WaitTimeout(m.ConnectTimeout) {
				log.Error("subscribe timed out", "filter", filter)
			} else if err := tok.Error(); err != nil {
				log.Error("subscribe failed", "filter", filter, "err", err)
			} else {
				connected.Set(1) // connected and subscribed
			}
		}()
	})
	opts.SetConnectionLostHandler(func(_ paho.Client, err error) {
		connected.Set(0)
		log.Warn("lost the central broker; reconnecting", "err", err)
	})
	s.client = paho.NewClient(opts)
	return s, nil
}

// start begins connecting (in the background, retrying until stop).
func (s *subscriber) start() { s.client.Connect() }

// stop disconnects, waiting up to wait for in-flight work to finish.
func (s *subscriber) stop(wait time.Duration) { s.client.Disconnect(uint(wait.Milliseconds())) }

func brokerURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	switch p.Scheme {
	case "mqtt":
		p.Scheme = "tcp"
	case "mqtts", "tls":
		p.Scheme = "ssl"
	}
	return p.String()
}

func isTLS(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "ssl" || p.Scheme == "tls" || p.Scheme == "mqtts" || p.Scheme == "wss")
}

func tlsConfig(t agentcfg.TLSConfig) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // insecure only when asked, for tests
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt.tls.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("mqtt.tls.ca_file: no PEM certificate in %s", t.CAFile)
		}
		tc.RootCAs = pool
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt.tls.cert_file: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}
