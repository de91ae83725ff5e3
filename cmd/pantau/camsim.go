package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/pantau/pantau/agent/camsim"
	"github.com/pantau/pantau/devices/rtsp"
)

// cmdCamsim serves a clip as an RTSP camera until Ctrl-C:
//
//	pantau camsim --clip FILE [--rtsp :8554] [--path cam] [--user U --password P]
func cmdCamsim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("camsim", stderr)
	clipPath := fs.String("clip", "", "video file to serve in a loop (H.264 or H.265; MP4, MKV, TS …)")
	rtspAddr := fs.String("rtsp", ":8554", "RTSP listen address")
	path := fs.String("path", "cam", "stream path: rtsp://ADDR/PATH")
	user := fs.String("user", "", "require this RTSP user (Basic or Digest)")
	password := fs.String("password", "", "password of --user")
	verbose := fs.Bool("v", false, "log every connection and session")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pantau camsim: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	if *clipPath == "" {
		fmt.Fprintln(stderr, "pantau camsim: --clip FILE is required")
		fs.Usage()
		return errUsage
	}

	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	srv, err := camsim.New(camsim.Config{
		Clip:     *clipPath,
		Addr:     *rtspAddr,
		Path:     *path,
		User:     *user,
		Password: *password,
		Log:      log,
	})
	if err != nil {
		return err
	}
	if err := srv.Start(ctx); err != nil {
		return err
	}
	defer srv.Close()

	url := srv.URL()
	if *user != "" {
		// Show where the credentials go, never the credentials.
		url = rtsp.Redact(url[:len("rtsp://")] + "user:password@" + url[len("rtsp://"):])
	}
	info := srv.Info()
	fmt.Fprintf(stdout, "serving %s (%s %dx%d, %d frames) at %s — Ctrl-C to stop\n",
		*clipPath, info.Codec, info.Width, info.Height, srv.Frames(), url)

	<-ctx.Done()
	return nil
}
