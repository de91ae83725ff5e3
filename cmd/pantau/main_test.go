package main

import (
	"fmt"
	"os"
	"testing"
)

// TestMain fails the package when Mats leaked: with -tags matprofile (as
// make test runs) every gocv Mat the commands made (demo, eval, bench)
// must be closed once they returned. It also removes the binary the tests
// shared (buildPantau).
func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	if n := liveMats(); code == 0 && n > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: %d gocv Mats leaked by the command tests\n", n)
		code = 1
	}
	os.Exit(code)
}
