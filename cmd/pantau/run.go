package main

import (
	"context"
	"fmt"
	"io"

	"github.com/pantau/pantau/agent"
	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/agent/logging"
)

// cmdRun runs the agent until SIGINT/SIGTERM; SIGHUP reloads the config.
func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", stderr)
	path := fs.String("c", "configs/pantau.yaml", "config file")
	logLevel := fs.String("log-level", "", "override log.level (debug, info, warn, error)")
	logFormat := fs.String("log-format", "", "override log.format (text, json)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return fmt.Errorf("%s:\n%w", *path, err)
	}
	return runAgent(ctx, cfg, *path, *logLevel, *logFormat, stderr)
}

// runAgent runs an agent on a validated config, logging to w.
func runAgent(ctx context.Context, cfg *config.Config, path, level, format string, w io.Writer) error {
	if level == "" {
		level = cfg.Log.Level
	}
	if format == "" {
		format = cfg.Log.Format
	}
	log, err := logging.New(w, level, format)
	if err != nil {
		return err
	}
	for _, w := range config.Warnings(cfg, path) {
		log.Warn(w)
	}
	a, err := agent.New(agent.Options{Config: cfg, ConfigPath: path, Log: log, Version: version})
	if err != nil {
		return err
	}
	return a.Run(ctx)
}
