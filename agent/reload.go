package agent

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/signal"
	"reflect"
	"sync"
	"syscall"
	"time"

	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/agent/event"
)

// fileCheckEvery is how often the config file is checked for changes.
const fileCheckEvery = 2 * time.Second

// applyCameras makes the running cameras match cfg: unchanged cameras keep
// running without a gap, changed ones restart, removed ones stop, new ones
// start.
func (a *Agent) applyCameras(ctx context.Context, cfg *config.Config) {
	want := map[string]config.Camera{}
	for _, c := range cfg.Cameras {
		if c.IsEnabled() {
			want[c.Name] = c
		}
	}
	a.mu.Lock()
	old := a.cfg
	a.cfg = cfg
	var stop, update []*running
	var removed []string
	for name, r := range a.cams {
		nc, ok := want[name]
		if r.cam.source == event.SourceDiscovery && !ok {
			continue // discovery owns it, unless the config now names it
		}
		if ok && r.cam.source == event.SourceConfig && sameEnvelope(old, cfg) {
			cur := r.cam.config()
			if reflect.DeepEqual(nc, cur) {
				delete(want, name)
				continue
			}
			if onlyAnalyticsChanged(nc, cur) {
				update = append(update, r)
				continue
			}
		}
		stop = append(stop, r)
		delete(a.cams, name)
		if !ok {
			removed = append(removed, name)
		}
	}
	a.mu.Unlock()
	for _, r := range update {
		nc := want[r.cam.cfg.Name]
		delete(want, nc.Name)
		if err := r.cam.updateAnalytics(nc, aggregateConfig(cfg, nc)); err != nil {
			a.log.Error("camera analytics not updated; restarting it", "camera", nc.Name, "err", err)
			stop = append(stop, r)
			want[nc.Name] = nc
			a.mu.Lock()
			delete(a.cams, nc.Name)
			a.mu.Unlock()
		}
	}
	// Side by side: each flushes its partial interval, and a slow spool
	// append should cost the reload one wait, not one per camera.
	var wg sync.WaitGroup
	for _, r := range stop {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.stop()
			a.log.Info("camera stopped", "camera", r.cam.config().Name)
		}()
	}
	wg.Wait()
	for _, name := range removed {
		a.metrics.Remove(name)
		a.live.Remove(name)
		// Its retained status would otherwise say online forever.
		a.publishRemoved(cfg, name)
	}
	a.mu.Lock()
	for _, c := range cfg.Cameras {
		if nc, ok := want[c.Name]; ok {
			a.startCamera(ctx, cfg, nc, event.SourceConfig, deviceInfo{})
		}
	}
	a.mu.Unlock()
}

// sameEnvelope reports whether the settings every camera's messages depend
// on are unchanged.
func sameEnvelope(a, b *config.Config) bool {
	return a.Site == b.Site && a.Agent == b.Agent && a.Counts == b.Counts
}

func (a *Agent) publishRemoved(cfg *config.Config, name string) {
	msg := event.NewCameraStatus(cfg.Site, cfg.Agent, name, time.Now(), event.CameraStatus{
		State: event.StateOffline, Error: "removed from config", Source: event.SourceConfig,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.mq.Publish(ctx, msg); err != nil {
		a.log.Warn("publishing removed camera status", "camera", name, "err", err)
	}
}

// Reload re-reads the config file and applies it; an invalid file is
// refused with its errors and the running config stays. Safe to call from
// any goroutine while Run runs.
func (a *Agent) Reload(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case a.reloads <- reply:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// reload runs on Run's goroutine.
func (a *Agent) reload(ctx context.Context) error {
	if a.opts.ConfigPath == "" {
		return fmt.Errorf("no config file to reload")
	}
	cfg, err := config.Load(a.opts.ConfigPath)
	if err != nil {
		a.metrics.ConfigLoaded(false)
		a.log.Error("config reload refused; keeping the running config", "file", a.opts.ConfigPath, "err", err)
		return err
	}
	old := a.config()
	if !sameProcess(old, cfg) {
		a.log.Warn("config reload: mqtt, spool, http, log and detector (pool) settings take effect after a restart")
	}
	a.applyCameras(ctx, cfg)
	a.metrics.ConfigLoaded(true)
	a.log.Info("config reloaded", "file", a.opts.ConfigPath, "cameras", len(cfg.Cameras))
	return nil
}

// sameProcess reports whether the settings that need a restart are equal.
func sameProcess(a, b *config.Config) bool {
	return reflect.DeepEqual(a.MQTT, b.MQTT) && reflect.DeepEqual(a.Spool, b.Spool) &&
		a.HTTP == b.HTTP && a.Log == b.Log && a.Detector == b.Detector
}

// watchReloads reloads on SIGHUP and when the config file's content
// changes. It returns a function that stops watching.
func (a *Agent) watchReloads(ctx context.Context) (stop func()) {
	if a.opts.ConfigPath == "" {
		return func() {}
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		last := fileSum(a.opts.ConfigPath)
		t := time.NewTicker(fileCheckEvery)
		defer t.Stop()
		for {
			select {
			case <-wctx.Done():
				return
			case <-hup:
				a.log.Info("SIGHUP: reloading config")
			case <-t.C:
				sum := fileSum(a.opts.ConfigPath)
				if sum == last || sum == "" {
					continue
				}
				a.log.Info("config file changed: reloading")
			}
			last = fileSum(a.opts.ConfigPath)
			_ = a.Reload(wctx) // errors are logged by reload
		}
	}()
	return func() {
		signal.Stop(hup)
		cancel()
		<-done
	}
}

func fileSum(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	s := sha256.Sum256(b)
	return string(s[:])
}
