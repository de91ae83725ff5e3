package agent

import (
	"github.com/pantau/pantau/agent/config"
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
