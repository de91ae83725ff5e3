// Package config holds the hub's configuration (hub.yaml): the same mqtt,
// http and log keys as the agent's config (the very same structs from
// agent/config, so a key means one thing everywhere), plus store, sites,
// retention, limits and alerts.
//
// Like the agent's, a config is validated once at load; every problem is
// reported at once naming its key, unknown keys are errors, and the
// returned *Config is read-only.
package config

import (
	"time"

	agentcfg "github.com/pantau/pantau/agent/config"
)

// Config is the whole hub configuration.
type Config struct {
	// Province is the title of the dashboard's top level. It defaults to
	// "Province".
	Province string `yaml:"province"`
	// Timezone names the IANA zone whose midnight starts "today" and whose
	// dates key the daily roll-up. It defaults to UTC.
	Timezone string `yaml:"timezone"`
	// Log configures the process log (agent keys: level, format).
	Log agentcfg.LogConfig `yaml:"log"`
	// HTTP configures the API, dashboard and /metrics listener (agent keys).
	// http.listen defaults to 127.0.0.1:9300.
	HTTP agentcfg.HTTPConfig `yaml:"http"`
	// MQTT configures the connection to the central broker (agent keys).
	// mqtt.client_id defaults to "pantau-hub"; give every replica its own.
	MQTT agentcfg.MQTTConfig `yaml:"mqtt"`
	// Subscribe configures the subscription.
	Subscribe SubscribeConfig `yaml:"subscribe"`
	// Store configures the database.
	Store StoreConfig `yaml:"store"`
	// Retention says how long each kind of data is kept.
	Retention RetentionConfig `yaml:"retention"`
	// Limits protect the hub from one site's flood or bad messages.
	Limits LimitsConfig `yaml:"limits"`
	// Alerts sets the thresholds of the open alerts.
	Alerts AlertsConfig `yaml:"alerts"`
	// Sites names the known sites; a site not listed still appears, in
	// region "unassigned".
	Sites []Site `yaml:"sites"`

	loc *time.Location
}

// SubscribeConfig configures the MQTT subscription.
type SubscribeConfig struct {
	// Topic is the filter subscribed to. It defaults to "pantau/v1/#".
	Topic string `yaml:"topic"`
	// Share, when set, subscribes "$share/{Share}/{Topic}" so several hub
	// replicas split the messages between them (each with its own
	// mqtt.client_id and the same PostgreSQL store).
	Share string `yaml:"share"`
}

// StoreConfig configures the database.
type StoreConfig struct {
	// URL is "sqlite:PATH" (or a bare path) for an embedded SQLite file in
	// WAL mode, or "postgres://user@host/db" for PostgreSQL. A password is
	// better given in PGPASSWORD or PasswordFile. It defaults to
	// "sqlite:/var/lib/pantau/hub.db".
	URL string `yaml:"url"`
	// PasswordFile holds the PostgreSQL password (trailing newline
	// trimmed); relative to the config file's directory.
	PasswordFile string `yaml:"password_file"`
}

// RetentionConfig says how long data is kept; 0 keeps it for ever.
type RetentionConfig struct {
	// Events is how long raw events are kept. It defaults to 30 days.
	Events time.Duration `yaml:"events"`
	// Counts is how long raw counts intervals are kept. It defaults to 14
	// days.
	Counts time.Duration `yaml:"counts"`
	// Hourly is how long the per-hour roll-up is kept. It defaults to 400
	// days.
	Hourly time.Duration `yaml:"hourly"`
	// Daily is how long the per-day roll-up is kept. It defaults to 0
	// (for ever).
	Daily time.Duration `yaml:"daily"`
	// Seq is how long the per-message receipt (id, seq) used for
	// deduplication and completeness is kept. It defaults to 30 days.
	Seq time.Duration `yaml:"seq"`
}

// LimitsConfig bounds what one site may cost the hub.
type LimitsConfig struct {
	// SiteRate is the sustained messages per second accepted from one
	// site; above it (after SiteBurst) messages are dropped and counted.
	// It defaults to 200.
	SiteRate float64 `yaml:"site_rate"`
	// SiteBurst is how many messages a site may send at once above
	// SiteRate (a spool replay after an outage). It defaults to 20000.
	SiteBurst int `yaml:"site_burst"`
	// MaxPayload bounds one message. It defaults to 256 KiB.
	MaxPayload int `yaml:"max_payload"`
	// FutureSkew is how far in the future a ts may lie before the message
	// is refused. It defaults to 5 min.
	FutureSkew time.Duration `yaml:"future_skew"`
	// MaxSites bounds how many distinct site names get their own metric
	// labels and log counters; the rest are counted as "other". It
	// defaults to 1000.
	MaxSites int `yaml:"max_sites"`
}

// AlertsConfig sets when an alert opens.
type AlertsConfig struct {
	// CameraOffline opens an alert for a camera not online (or silent)
	// this long. It defaults to 5 min.
	CameraOffline time.Duration `yaml:"camera_offline"`
	// AgentOffline opens an alert for an agent offline (or silent) this
	// long. It defaults to 5 min.
	AgentOffline time.Duration `yaml:"agent_offline"`
	// SeqGap opens an alert for a missing seq range older than this. It
	// defaults to 10 min.
	SeqGap time.Duration `yaml:"seq_gap"`
}

// Site describes one site of the province.
type Site struct {
	// Name is the site's topic level (pantau/v1/{name}/…). Required.
	Name string `yaml:"name" json:"name"`
	// Region is the regency or city the site belongs to. Required.
	Region string `yaml:"region" json:"region"`
	// DisplayName is shown on the dashboard. It defaults to Name.
	DisplayName string `yaml:"display_name" json:"display_name"`
	// Lat and Lon place the site (WGS 84 degrees); optional.
	Lat float64 `yaml:"lat" json:"lat"`
	// Lon is the longitude; see Lat.
	Lon float64 `yaml:"lon" json:"lon"`
}

// Unassigned is the region of sites that hub.yaml does not list.
const Unassigned = "unassigned"

// Location is the time zone named by Timezone.
func (c *Config) Location() *time.Location {
	if c.loc == nil {
		return time.UTC
	}
	return c.loc
}

// Site returns the site called name, or a Site in region Unassigned when
// hub.yaml does not list it.
func (c *Config) Site(name string) Site {
	for _, s := range c.Sites {
		if s.Name == name {
			return s
		}
	}
	return Site{Name: name, Region: Unassigned, DisplayName: name}
}
