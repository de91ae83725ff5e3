package analysis

import (
	"fmt"

	"github.com/pantau/pantau/agent/config"
)

// Check builds every enabled camera's chain as the agent would (so a
// model that does not load is found before the agent runs it) and returns
// one *config.FieldError per camera that fails, keyed "cameras[i] (name)".
// `pantau check` and the web UI's apply both use it, after config.Load.
func Check(cfg *config.Config) []error {
	var errs []error
	for i := range cfg.Cameras {
		cam := cfg.Cameras[i]
		if !cam.IsEnabled() {
			continue
		}
		as, err := Build(cam, Options{Model: cfg.Detector.Model, Engine: cfg.Detector.Engine})
		if err != nil {
			errs = append(errs, &config.FieldError{Key: fmt.Sprintf("cameras[%d] (%s)", i, cam.Name), Msg: err.Error()})
			continue
		}
		Close(as)
	}
	return errs
}
