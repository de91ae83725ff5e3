package main

import (
	"context"
	"io"
)

func cmdFleetsim(ctx context.Context, args []string, stdout, stderr io.Writer) error { return nil }
