package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"

	"github.com/pantau/pantau/agent/camsim"
	"github.com/pantau/pantau/agent/httpauth"
	"github.com/pantau/pantau/devices/onvif/onvifsim"
	"github.com/pantau/pantau/devices/urlcred"
)

// cmdCamsim serves a clip as an RTSP camera until Ctrl-C:
//
//	pantau camsim --clip FILE [--rtsp :8554] [--path cam] [--user U --password P]
//	              [--onvif :8080] [--captures DIR]
//	              [--stall AFTER:FOR] [--rtcp-only] [--loss PCT] [--jitter D]
//	              [--auth-lockout N:T] [--slow-describe D] [--start-frame N[,N…]]
func cmdCamsim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("camsim", stderr)
	clipPath := fs.String("clip", "", "video file to serve in a loop (H.264 or H.265; MP4, MKV, TS …)")
	rtspAddr := fs.String("rtsp", "127.0.0.1:8554", "RTSP listen address (beyond loopback only with --user and --password)")
	path := fs.String("path", "cam", "stream path: rtsp://ADDR/PATH")
	user := fs.String("user", "", "require this user for RTSP (Basic or Digest) and ONVIF (WS-UsernameToken)")
	password := fs.String("password", "", "password of --user")
	onvifAddr := fs.String("onvif", "", "also answer ONVIF here: device service at http://ADDR/onvif/device_service, WS-Discovery on port 3702 of its IP")
	captures := fs.String("captures", "", "with --onvif: replay captured responses from DIR (DIR/device_management/<Op>Response.xml, media1, media2) instead of its own")
	verbose := fs.Bool("v", false, "log every connection and session")
	stall := fs.String("stall", "", "AFTER:FOR: after AFTER stop sending video for FOR (0 = for ever), keeping sessions and RTCP (frozen encoder)")
	rtcpOnly := fs.Bool("rtcp-only", false, "send no video at all, only RTCP sender reports")
	loss := fs.Float64("loss", 0, "drop this percentage of RTP packets (0-100)")
	jitter := fs.Duration("jitter", 0, "delay each access unit by a random 0..D")
	lockout := fs.String("auth-lockout", "", "N:T: after N wrong logins refuse every login for T, as cameras that lock the account")
	slowDescribe := fs.Duration("slow-describe", 0, "wait D before answering DESCRIBE")
	startFrames := fs.String("start-frame", "0", "start the stream at this frame of the clip (a camera whose GOP is at another phase); N,M,… serves one camera per frame from this process, on consecutive ports (port 0: free ones), one 'serving' line each")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pantau camsim: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	if *captures != "" && *onvifAddr == "" {
		fmt.Fprintln(stderr, "pantau camsim: --captures needs --onvif ADDR")
		return errUsage
	}
	// Every listener off loopback needs authentication, a simulator's too:
	// it would otherwise hand the LAN a camera anyone can watch or command.
	if *user == "" || *password == "" {
		for _, l := range []struct{ flag, addr string }{{"rtsp", *rtspAddr}, {"onvif", *onvifAddr}} {
			if l.addr != "" && !httpauth.IsLoopback(l.addr) {
				fmt.Fprintf(stderr, "pantau camsim: --%s %s listens beyond this machine: set --user and --password, or listen on 127.0.0.1\n", l.flag, l.addr)
				return errUsage
			}
		}
	}
	if *clipPath == "" {
		fmt.Fprintln(stderr, "pantau camsim: --clip FILE is required")
		fs.Usage()
		return errUsage
	}

	impair := camsim.Impairments{RTCPOnly: *rtcpOnly, Loss: *loss / 100, Jitter: *jitter, SlowDescribe: *slowDescribe}
	var err error
	if *stall != "" {
		if impair.StallAfter, impair.StallFor, err = camsim.ParseStall(*stall); err != nil {
			fmt.Fprintf(stderr, "pantau camsim: --%v\n", err)
			return errUsage
		}
	}
	if *lockout != "" {
		if impair.LockoutAfter, impair.LockoutFor, err = camsim.ParseLockout(*lockout); err != nil {
			fmt.Fprintf(stderr, "pantau camsim: --%v\n", err)
			return errUsage
		}
	}

	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	starts, err := parseStartFrames(*startFrames)
	if err != nil {
		fmt.Fprintf(stderr, "pantau camsim: --start-frame: %v\n", err)
		return errUsage
	}
	var first *camsim.Server
	for i, start := range starts {
		addr, err := nthAddr(*rtspAddr, i)
		if err != nil {
			return err
		}
		srv, err := camsim.New(camsim.Config{
			Clip:       *clipPath,
			Addr:       addr,
			Path:       *path,
			User:       *user,
			Password:   *password,
			Impair:     impair,
			StartFrame: start,
			Log:        log,
		})
		if err != nil {
			return err
		}
		if err := srv.Start(ctx); err != nil {
			return err
		}
		defer srv.Close()
		if first == nil {
			first = srv
		}
		url := srv.URL()
		if *user != "" {
			// Show where the credentials go, never the credentials.
			url = urlcred.Redact(url[:len("rtsp://")] + "user:password@" + url[len("rtsp://"):])
		}
		info := srv.Info()
		fmt.Fprintf(stdout, "serving %s (%s %dx%d, %d frames) at %s — Ctrl-C to stop\n",
			*clipPath, info.Codec, info.Width, info.Height, srv.Frames(), url)
	}
	srv, info := first, first.Info()

	if *onvifAddr == "" {
		<-ctx.Done()
		return nil
	}
	return camsimONVIF(ctx, stdout, *onvifAddr, *captures, srv.URL(), *user, *password, info.Codec, info.Width, info.Height, info.FPS)
}

// camsimONVIF answers ONVIF (and WS-Discovery) for the RTSP simulator until
// ctx is done.
func camsimONVIF(ctx context.Context, stdout io.Writer, addr, captures, rtspURL, user, password, codec string, w, h int, fps float64) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--onvif %q: want HOST:PORT or :PORT", addr)
	}
	if host == "" {
		host = "0.0.0.0"
	}
	osim, err := onvifsim.New(onvifsim.Config{
		Addr: addr, Captures: captures, RTSPURL: rtspURL, User: user, Password: password,
		DiscoveryAddr: host,
		Profiles:      []onvifsim.ProfileSpec{{Token: "main", Name: "main", Encoding: strings.ToUpper(codec), Width: w, Height: h, FPS: fps}},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ONVIF device service at %s, WS-Discovery on %s\n", osim.DeviceURL(), osim.DiscoveryAddr())
	if err := osim.MulticastErr(); err != nil {
		fmt.Fprintf(stdout, "WS-Discovery answers unicast probes only: %v\n", err)
	}
	return osim.Run(ctx)
}

// parseStartFrames reads --start-frame: one frame index or several,
// comma-separated.
func parseStartFrames(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q: want frame numbers ≥ 0, comma-separated", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// nthAddr is the listen address of the i-th simulated camera: addr's port
// + i (port 0 stays 0: a free port each).
func nthAddr(addr string, i int) (string, error) {
	if i == 0 {
		return addr, nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("camsim: --rtsp %q: %w", addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return "", fmt.Errorf("camsim: --rtsp %q: bad port", addr)
	}
	if p != 0 {
		p += i
	}
	return net.JoinHostPort(host, strconv.Itoa(p)), nil
}
