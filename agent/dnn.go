package agent

import "github.com/pantau/pantau/agent/config"

func newDNN(cam config.Camera) (Analyzer, error) { return nil, errNoDNN }
