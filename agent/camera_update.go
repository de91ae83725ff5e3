package agent

import (
	"fmt"
	"reflect"

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

// updateAnalytics swaps the camera's analyzers for ones built from cc
// without touching the stream: no reconnect, no gap in frames. The
// aggregator is flushed (the partial interval is published) and renewed,
// so counts name the new rules. On error the running analyzers stay.
func (c *camera) updateAnalytics(cc config.Camera, aggCfg aggregate.Config) error {
	fresh, err := analysis.Build(cc, c.stream.opts)
	if err != nil {
		return fmt.Errorf("camera %s: %w", cc.Name, err)
	}
	if err := c.stream.swapAnalyzers(fresh); err != nil {
		return err
	}
	c.counts.renew(cc, aggCfg)
	c.stream.log.Info("camera analytics updated without restarting the stream")
	return nil
}
