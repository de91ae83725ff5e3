package main

import (
	"context"
	"fmt"
	"io"

	"github.com/pantau/pantau/agent/logging"
	"github.com/pantau/pantau/hub"
	"github.com/pantau/pantau/hub/config"
)

// cmdHub runs the command centre's hub until SIGINT/SIGTERM.
func cmdHub(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := newFlagSet("hub", stderr)
	path := fs.String("c", "configs/hub.yaml", "hub config file")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return fmt.Errorf("%s:\n%w", *path, err)
	}
	log, err := logging.New(stderr, cfg.Log.Level, cfg.Log.Format)
	if err != nil {
		return err
	}
	return hub.Serve(ctx, cfg, log, hub.ServeOptions{})
}
