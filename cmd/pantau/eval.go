package main

import (
	"context"
	"errors"
	"io"
)

// cmdEval is a placeholder until the eval command lands.
func cmdEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("eval: not implemented yet")
}
