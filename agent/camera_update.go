package agent

import (
	"fmt"
	"reflect"
	"time"

	"github.com/pantau/pantau/agent/aggregate"
	"github.com/pantau/pantau/agent/analysis"
	"github.com/pantau/pantau/agent/config"
)

// onlyAnalyticsChanged reports whether two configs of one camera differ
// only in what the analyzers do (motion, detector, tracker, lines, zones,
// tamper), so the stream can keep running while the analyzers change.
func onlyAnalyticsChanged(a, b config.Camera) bool {
	strip := func(c config.Camera) config.Camera {
		c.Motion, c.Detector, c.Tracker = config.MotionConfig{}, config.DetectorConfig{}, config.TrackerConfig{}
		c.Lines, c.Zones, c.Tamper = nil, nil, config.TamperConfig{}
		return c
	}
	dnn := func(c config.Camera) bool { return c.Detector.Type == config.DetectorDNN }
	// The decoder keeps colour only for a DNN: switching needs a restart.
	return dnn(a) == dnn(b) && reflect.DeepEqual(strip(a), strip(b))
}

// config is the camera's config as now applied, analytics updates
// included. (c.cfg keeps the stream settings, which never change while a
// camera runs.)
func (c *camera) config() config.Camera {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.current
}

// updateAnalytics swaps the camera's analyzers for ones built from cc
// without touching the stream: no reconnect, no gap in frames. The
// aggregator is flushed (the partial interval is published) and renewed,
// so counts name the new rules. On error the running analyzers stay.
func (c *camera) updateAnalytics(cc config.Camera, aggCfg aggregate.Config) error {
	fresh, err := analysis.Build(cc, c.analysisOptions())
	if err != nil {
		return fmt.Errorf("camera %s: %w", cc.Name, err)
	}
	var tickers []ticker
	for _, a := range fresh {
		if t, ok := a.(ticker); ok {
			tickers = append(tickers, t)
		}
	}
	c.mu.Lock()
	old, pipe := c.analyzers, c.pipe
	c.analyzers, c.tickers, c.current = fresh, tickers, cc
	c.mu.Unlock()
	if pipe != nil {
		// Returns once the analyzer goroutine no longer uses the old ones.
		if err := pipe.SetAnalyzers(analysis.Pipeline(fresh)); err != nil {
			return err
		}
	}
	analysis.Close(old)

	agg := aggregate.New(aggCfg, c.emit)
	c.mu.Lock()
	prev := c.agg
	c.agg = agg
	c.mu.Unlock()
	prev.Flush(time.Now())
	c.log.Info("camera analytics updated without restarting the stream")
	return nil
}
