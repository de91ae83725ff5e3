// Package logging sets up the agent's slog logger: text or JSON, a level,
// credentials redacted from every message and attribute, and a Summariser
// that turns a flood of repeated warnings into one line per interval
// ("dropped 312 frames in the last 10s").
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// New returns a logger writing to w at level (debug, info, warn or error)
// in format (text or json), with credentials redacted (see NewRedactor).
func New(w io.Writer, level, format string) (*slog.Logger, error) {
	lv, err := ParseLevel(level)
	if err != nil {
		return nil, err
	}
	h, err := NewHandler(w, lv, format)
	if err != nil {
		return nil, err
	}
	return slog.New(h), nil
}

// NewHandler returns the redacting handler New uses. Pass a *slog.LevelVar
// as level to change the level at run time (on config reload).
func NewHandler(w io.Writer, level slog.Leveler, format string) (slog.Handler, error) {
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch strings.ToLower(format) {
	case "", "text":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	default:
		return nil, fmt.Errorf("log format must be text or json, got %q", format)
	}
	return NewRedactor(h), nil
}

// ParseLevel parses debug, info, warn (or warning) and error; "" is info.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "", "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("log level must be debug, info, warn or error, got %q", s)
}
