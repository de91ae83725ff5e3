package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pantau/pantau/agent/httpauth"
	"github.com/pantau/pantau/hub/config"
	"github.com/pantau/pantau/hub/store"
	"github.com/pantau/pantau/hub/web"
)

// ServeOptions are the parts of Serve that are not in hub.yaml.
type ServeOptions struct {
	// Listening, when set, is told the HTTP address once it listens.
	Listening func(addr string)
}

// Serve runs the whole hub of cfg: store, subscriber and HTTP server, until
// ctx is cancelled. It returns nil on cancel.
func Serve(ctx context.Context, cfg *config.Config, log *slog.Logger, o ServeOptions) error {
	// The agent's HTTP auth: credentials from http.auth.*, refused off
	// loopback without them (the error names http.auth.users_file).
	auth, err := httpauth.New(cfg.HTTP.AuthConfig())
	if err != nil {
		return err
	}
	for _, w := range cfg.MQTT.Warnings() {
		log.Warn(w)
	}
	password := ""
	if cfg.Store.PasswordFile != "" {
		b, err := os.ReadFile(cfg.Store.PasswordFile)
		if err != nil {
			return fmt.Errorf("store.password_file: %w", err)
		}
		password = strings.TrimRight(string(b), "\r\n")
	}
	st, err := store.Open(ctx, cfg.Store.URL, store.Options{Password: password, Location: cfg.Location()})
	if err != nil {
		return err
	}
	defer st.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	h := New(cfg, st, reg, log)
	reg.MustRegister(h.Collector())
	handler := web.New(web.Options{
		Config: cfg, Data: st, Log: log,
		Lag:         func(site, agent, camera string) (any, bool) { return h.Lag(site, agent, camera) },
		Metrics:     promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		Auth:        auth,
		MetricsOpen: cfg.HTTP.MetricsOpen,
	})
	ln, err := httpauth.Listen(cfg.HTTP.AuthConfig())
	if err != nil {
		return fmt.Errorf("http.listen: %w", err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	log.Info("hub listening", "http", ln.Addr().String(), "store", storeKind(st))
	if o.Listening != nil {
		o.Listening(ln.Addr().String())
	}
	httpErr := make(chan error, 1)
	go func() { httpErr <- srv.Serve(ln) }()
	hubErr := make(chan error, 1)
	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { hubErr <- h.Run(hctx) }()
	select {
	case err = <-httpErr:
		cancel()
		<-hubErr
		return fmt.Errorf("http: %w", err)
	case err = <-hubErr:
	case <-ctx.Done():
		err = <-hubErr
	}
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	if serr := srv.Shutdown(sctx); serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		log.Warn("http shutdown", "err", serr)
	}
	return err
}

func storeKind(st *store.Store) string {
	if st.Postgres() {
		return "postgresql"
	}
	return "sqlite"
}
