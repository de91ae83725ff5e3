package config

import "slices"

// commandsAlias reads mqtt.commands, the name of the commands section in
// earlier releases, into the top-level commands: a key set only under the
// old name counts as set under the new one, so an upgraded box keeps its
// settings; the same key set to different values under both names is an
// error naming both, since either reading would surprise someone.
func (d *decoder) commandsAlias(c *Config) {
	old, cur := &c.MQTT.Commands, &c.Commands
	if old.Enabled != nil || old.Disabled != nil || old.MaxAge != 0 {
		c.OldKeys = append(c.OldKeys, "mqtt.commands")
	}
	conflict := func(key string, now, before any) {
		d.fail("commands."+key, "set to %v, and mqtt.commands.%s (its old name) to %v: keep only commands.%s", now, key, before, key)
	}
	if old.Enabled != nil {
		if cur.Enabled != nil && *cur.Enabled != *old.Enabled {
			conflict("enabled", *cur.Enabled, *old.Enabled)
		}
		if cur.Enabled == nil {
			cur.Enabled = old.Enabled
		}
	}
	if old.Disabled != nil {
		if cur.Disabled != nil && !slices.Equal(cur.Disabled, old.Disabled) {
			conflict("disabled", cur.Disabled, old.Disabled)
		}
		if cur.Disabled == nil {
			cur.Disabled = old.Disabled
		}
	}
	if old.MaxAge != 0 {
		if cur.MaxAge != 0 && cur.MaxAge != old.MaxAge {
			conflict("max_age", cur.MaxAge, old.MaxAge)
		}
		if cur.MaxAge == 0 {
			cur.MaxAge = old.MaxAge
		}
	}
	*old = *cur
}
