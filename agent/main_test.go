package agent

import (
	"fmt"
	"os"
	"testing"
)

// TestMain fails the package when Mats leaked: with -tags matprofile (as
// make test runs) every gocv Mat made by the cameras' decoders and
// analyzers must be closed once the agents under test have stopped.
func TestMain(m *testing.M) {
	code := m.Run()
	if n := liveMats(); code == 0 && n > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: %d gocv Mats leaked by the agent tests\n", n)
		code = 1
	}
	os.Exit(code)
}
