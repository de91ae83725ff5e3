package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/pantau/pantau/devices/urlcred"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pantau/pantau/devices/onvif"
	"gopkg.in/yaml.v3"
)

// discoverList is a repeatable flag that also splits on commas.
type discoverList []string

// String joins the values (flag.Value).
func (l *discoverList) String() string { return strings.Join(*l, ",") }

// Set appends one or more comma-separated values (flag.Value).
func (l *discoverList) Set(s string) error {
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}

// cmdDiscover finds ONVIF cameras and prints them:
//
//	pantau discover [--timeout D] [--iface I] [--probe HOST|CIDR] [--device URL]
//	                [--user U --password P] [--json] [--write-config FILE]
func cmdDiscover(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("discover", stderr)
	timeout := fs.Duration("timeout", onvif.DefaultDiscoverTimeout, "how long to listen for WS-Discovery answers")
	var ifaces, probes, devices discoverList
	fs.Var(&ifaces, "iface", "probe by multicast on this interface only (repeatable; default: every up, multicast-capable interface)")
	fs.Var(&probes, "probe", "also probe this host, HOST:PORT or IPv4 CIDR by unicast (repeatable; at most 4096 addresses)")
	fs.Var(&devices, "device", "query this device service URL directly, e.g. http://192.0.2.7/onvif/device_service (repeatable; without --probe/--iface no WS-Discovery is sent)")
	noMulticast := fs.Bool("no-multicast", false, "send no multicast probe (only --probe and --device)")
	user := fs.String("user", "", "ONVIF user for the devices")
	password := fs.String("password", "", "password of --user (or set PANTAU_ONVIF_PASSWORD)")
	asJSON := fs.Bool("json", false, "print a JSON list of devices instead of a table")
	writeConfig := fs.String("write-config", "", "write a config file with a camera per device that answered (must not exist)")
	width := fs.Int("analysis-width", 640, "pick per camera the smallest profile at least this wide (for --write-config)")
	reqTimeout := fs.Duration("request-timeout", onvif.DefaultTimeout, "timeout of each ONVIF request")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pantau discover: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	if *password == "" {
		*password = os.Getenv("PANTAU_ONVIF_PASSWORD")
	}
	if *timeout <= 0 || *reqTimeout <= 0 {
		fmt.Fprintln(stderr, "pantau discover: --timeout and --request-timeout must be positive")
		return errUsage
	}
	if *writeConfig != "" {
		// Fail before the network work, not after.
		if _, err := os.Stat(*writeConfig); err == nil {
			return fmt.Errorf("--write-config %s: file exists; choose a new name (it is never overwritten)", *writeConfig)
		}
	}
	cfg := onvif.ProvisionConfig{
		Discover: onvif.DiscoverConfig{Interfaces: ifaces, Probe: probes, NoMulticast: *noMulticast, Timeout: *timeout},
		// --device alone means "this network passes no probes".
		NoDiscovery:   len(devices) > 0 && len(probes) == 0 && len(ifaces) == 0,
		Devices:       devices,
		AnalysisWidth: *width,
		Options:       []onvif.Option{onvif.WithTimeout(*reqTimeout)},
	}
	start := time.Now()
	res, err := onvif.Provision(ctx, cfg, func(onvif.Discovered) []onvif.Credentials {
		return []onvif.Credentials{{User: *user, Password: *password}}
	})
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if *asJSON {
		if err := writeDiscoverJSON(stdout, res); err != nil {
			return err
		}
	} else {
		writeDiscoverTable(stdout, res, time.Since(start))
	}
	if *writeConfig != "" {
		n, err := writeDiscoveredConfig(*writeConfig, res, *user, *password)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %d camera(s) to %s; check it with: pantau check -c %s\n", n, *writeConfig, *writeConfig)
	}
	return nil
}

// discoverJSON is one device in --json output.
type discoverJSON struct {
	*onvif.Device
	// SelectedProfile is the profile the agent would analyse.
	SelectedProfile string `json:"selected_profile,omitempty"`
	Error           string `json:"error,omitempty"`
	AuthFailed      bool   `json:"auth_failed,omitempty"`
}

func resultDevice(r onvif.Result) *onvif.Device {
	d := r.Device
	if d == nil {
		d = &onvif.Device{UUID: r.Discovered.UUID}
		if len(r.Discovered.XAddrs) > 0 {
			d.Address = r.Discovered.XAddrs[0]
		}
	}
	cp := *d
	if cp.Profiles == nil {
		cp.Profiles = []onvif.Profile{}
	}
	cp.Profiles = append([]onvif.Profile(nil), cp.Profiles...)
	for i := range cp.Profiles {
		cp.Profiles[i].StreamURI = urlcred.Redact(cp.Profiles[i].StreamURI)
	}
	return &cp
}

func writeDiscoverJSON(w io.Writer, res []onvif.Result) error {
	out := make([]discoverJSON, 0, len(res))
	for _, r := range res {
		j := discoverJSON{Device: resultDevice(r)}
		if r.Err != nil {
			j.Error = r.Err.Error()
			j.AuthFailed = errors.Is(r.Err, onvif.ErrAuth)
		} else {
			j.SelectedProfile = r.Profile.Token
		}
		out = append(out, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func writeDiscoverTable(w io.Writer, res []onvif.Result, took time.Duration) {
	if len(res) == 0 {
		fmt.Fprintf(w, "no ONVIF devices found in %s (try --probe HOST|CIDR or --device URL if multicast is blocked)\n", took.Round(time.Millisecond))
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDRESS\tMANUFACTURER\tMODEL\tSERIAL\tSTATUS")
	for _, r := range res {
		d := resultDevice(r)
		status := "ok"
		switch {
		case errors.Is(r.Err, onvif.ErrAuth):
			status = "auth failed (wrong --user/--password)"
		case r.Err != nil:
			status = "error: " + r.Err.Error()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", d.Address, dash(d.Manufacturer), dash(d.Model), dash(d.Serial), status)
		for _, p := range d.Profiles {
			mark := " "
			if r.Err == nil && p.Token == r.Profile.Token {
				mark = "*"
			}
			fmt.Fprintf(tw, "  %s %s\t%s\t%dx%d\t%gfps\t%s\n", mark, p.Token, dash(p.Encoding), p.Width, p.Height, p.FPS, dash(p.StreamURI))
		}
	}
	tw.Flush()
	fmt.Fprintf(w, "%d device(s) in %s; * marks the profile the agent would analyse\n", len(res), took.Round(time.Millisecond))
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// discoveredCamera is one camera entry of --write-config (agent/config keys).
type discoveredCamera struct {
	Name     string `yaml:"name"`
	URL      string `yaml:"url"`
	ONVIF    string `yaml:"onvif"`
	Username string `yaml:"username,omitempty"`
	Password string `yaml:"password,omitempty"`
}

// writeDiscoveredConfig writes a config that "pantau check" accepts: the
// cameras that answered with a usable profile, the others as comments.
// The file is created 0600 (it holds passwords) and never overwritten.
func writeDiscoveredConfig(path string, res []onvif.Result, user, password string) (int, error) {
	var cams []discoveredCamera
	var skipped []string
	used := map[string]bool{}
	for _, r := range res {
		d := resultDevice(r)
		if r.Err != nil {
			skipped = append(skipped, fmt.Sprintf("#   %s (%s %s): %v", d.Address, dash(d.Manufacturer), dash(d.Model), r.Err))
			continue
		}
		name := onvif.UniqueCameraName(d, used)
		cams = append(cams, discoveredCamera{Name: name, URL: urlcred.Strip(r.Profile.StreamURI),
			ONVIF: d.Address, Username: user, Password: password})
	}
	body, err := yaml.Marshal(struct {
		Site    string             `yaml:"site"`
		MQTT    map[string]string  `yaml:"mqtt"`
		Cameras []discoveredCamera `yaml:"cameras"`
	}{Site: "my-site", MQTT: map[string]string{"url": "tcp://127.0.0.1:1883"}, Cameras: cams})
	if err != nil {
		return 0, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by pantau discover on %s.\n", time.Now().UTC().Format(time.RFC3339))
	b.WriteString("# Set site and mqtt.url, then: pantau check -c FILE. Every key: configs/full.yaml.\n")
	b.WriteString("# Each camera's url is the profile picked for analysis (the smallest at least\n")
	b.WriteString("# --analysis-width wide); onvif is its device service.\n")
	b.Write(body)
	if len(skipped) > 0 {
		b.WriteString("# Devices that answered but are not configured:\n" + strings.Join(skipped, "\n") + "\n")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, fmt.Errorf("--write-config: %w", err)
	}
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		return 0, fmt.Errorf("--write-config: %w", err)
	}
	return len(cams), f.Close()
}
