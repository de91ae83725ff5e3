package live

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
	"gocv.io/x/gocv"
)

// TestTapCarriesView: the live frame a technician's browser receives says
// when the camera is in infrared and while a new view settles; a camera
// whose mode is unknown sends neither field.
func TestTapCarriesView(t *testing.T) {
	tap := NewHub().Tap("gate")
	f := frame.New(nil, nil)
	defer f.Close()
	f.Gray.Close()
	f.Gray = gocv.NewMatWithSize(48, 64, gocv.MatTypeCV8U)
	var r vision.Result
	for _, c := range []struct {
		view     string
		settling bool
		want     string
	}{
		{"", false, ""},
		{vision.ViewIR, true, `"view":"ir","settling":true`},
		{vision.ViewDay, false, `"view":"day"`},
	} {
		r.Reset(time.Unix(0, 0))
		r.View, r.Settling = c.view, c.settling
		if err := tap.Analyze(f, &r); err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(tap.Last())
		if err != nil {
			t.Fatal(err)
		}
		if got := string(b); (c.want == "" && (strings.Contains(got, `"view"`) || strings.Contains(got, "settling"))) ||
			!strings.Contains(got, c.want) {
			t.Errorf("view %q settling %v: frame %s, want %s", c.view, c.settling, got, c.want)
		}
	}
}
