package agent

import (
	"time"

	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/agent/publish/mqtt"
)

// mqttConfig maps the config file's mqtt and spool sections onto the
// publisher's settings.
func mqttConfig(cfg *config.Config) mqtt.Config {
	m := cfg.MQTT
	return mqtt.Config{
		URL:      m.URL,
		ClientID: m.ClientID,
		Username: m.Username,
		Password: m.Password,
		TLS: mqtt.TLSConfig{
			CAFile: m.TLS.CAFile, CertFile: m.TLS.CertFile, KeyFile: m.TLS.KeyFile,
			ServerName: m.TLS.ServerName, InsecureSkipVerify: m.TLS.InsecureSkipVerify,
		},
		Keepalive:      m.Keepalive,
		ConnectTimeout: m.ConnectTimeout,
		PublishTimeout: m.PublishTimeout,
		Site:           cfg.Site,
		Agent:          cfg.Agent,
		Spool: mqtt.SpoolConfig{
			Dir: cfg.Spool.Dir, MaxBytes: int64(cfg.Spool.MaxBytes), MaxAge: cfg.Spool.MaxAge,
			Fsync: cfg.Spool.Fsync, Policy: cfg.Spool.Policy,
		},
		Commands: mqtt.CommandsConfig{Enabled: cfg.Commands.Enabled, Disabled: cfg.Commands.Disabled, MaxAge: cfg.Commands.MaxAge},
	}
}

// agentStatus is the retained agent status body the publisher sends.
func (a *Agent) agentStatus() event.Payload {
	a.mu.Lock()
	cfg := a.cfg
	// Configured cameras count from the start, before their goroutines
	// run (the first status goes out as soon as the broker answers).
	n, online := 0, 0
	for _, c := range cfg.Cameras {
		if c.IsEnabled() {
			n++
		}
	}
	for _, r := range a.cams {
		if r.cam.source == event.SourceDiscovery {
			n++
		}
		if r.cam.Online() {
			online++
		}
	}
	a.mu.Unlock()
	spool := a.mq.SpoolStatus()
	now := time.Now()
	st := event.NewAgentStatus(cfg.Site, cfg.Agent, now, event.AgentStatus{
		State:         event.StateOnline,
		Version:       a.opts.Version,
		Started:       event.Timestamp(a.started),
		UptimeS:       now.Sub(a.started).Seconds(),
		Cameras:       n,
		CamerasOnline: online,
		Spool:         spool,
	})
	return st.Body
}
