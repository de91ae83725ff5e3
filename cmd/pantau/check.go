package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/pantau/pantau/devices/urlcred"
	"io"

	"github.com/pantau/pantau/agent/analysis"
	"github.com/pantau/pantau/agent/config"
)

// errInvalid is returned after check has printed the problems itself, so
// main only sets the exit status.
type errInvalid struct{ n int }

// Error says how many problems were printed.
func (e errInvalid) Error() string { return fmt.Sprintf("%d problem(s) found", e.n) }

// cmdCheck validates a config file: it prints every problem, one per line
// naming the key, and fails; or prints "ok: N cameras" (after the
// effective config with --print).
func cmdCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("check", stderr)
	path := fs.String("c", "configs/pantau.yaml", "config file to validate")
	printCfg := fs.Bool("print", false, "print the effective config (defaults and PANTAU_* environment applied, secrets redacted)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pantau check: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	cfg, err := config.Load(*path)
	var errs config.Errors
	if errors.As(err, &errs) {
		for _, e := range errs {
			fmt.Fprintf(stdout, "%s: %v\n", *path, e)
		}
		return errInvalid{len(errs)}
	}
	if err != nil {
		return err
	}
	if *printCfg {
		out, err := cfg.YAML()
		if err != nil {
			return err
		}
		if _, err := stdout.Write(out); err != nil {
			return err
		}
	}
	// Build every camera's analyzers as `run` would: this loads DNN models
	// (manifest entry, checksum, OpenCV) so a bad model shows here, not
	// only as a camera in error once the agent runs.
	enabled := 0
	for i := range cfg.Cameras {
		if cfg.Cameras[i].IsEnabled() {
			enabled++
		}
	}
	camErrs := analysis.Check(cfg)
	for _, err := range camErrs {
		fmt.Fprintf(stdout, "%s: %v\n", *path, err)
	}
	bad := len(camErrs)
	if bad > 0 {
		return errInvalid{bad}
	}
	fmt.Fprintf(stdout, "ok: %d cameras (%d enabled), site %s, agent %s, mqtt %s\n",
		len(cfg.Cameras), enabled, cfg.Site, cfg.Agent, urlcred.RedactText(cfg.MQTT.URL))
	return nil
}
