// Command pantau is the Pantau video-analytics agent: one binary with
// sub-commands for running the agent, commissioning cameras and measuring
// it. Run "pantau help" for the list.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one sub-command. run gets the arguments after the command name
// and a context cancelled on SIGINT/SIGTERM; it returns an error to print
// (exit status 1) or errUsage (exit status 2).
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var errUsage = errors.New("usage")

func commands() map[string]command {
	return map[string]command{
		"run":      {"run the agent: pantau run -c configs/pantau.yaml", cmdRun},
		"check":    {"validate a config file: pantau check -c FILE", cmdCheck},
		"demo":     {"run a self-contained demo (camera simulator, broker, agent, live view)", cmdDemo},
		"camsim":   {"serve a clip as an RTSP/ONVIF camera: pantau camsim --clip FILE", cmdCamsim},
		"discover": {"find ONVIF cameras on the LAN", cmdDiscover},
		"bench":    {"measure the decoding loop against ffmpeg and a naive loop", cmdBench},
		"eval":     {"run the analytics on a clip and score them against ground truth", cmdEval},
		"version":  {"print the version", cmdVersion},
		"hub":      {"run the command centre hub: pantau hub -c hub.yaml", cmdHub},
		"fleetsim": {"simulate a fleet of sites, agents and cameras against a hub", cmdFleetsim},
		"passwd":   {"print an http.auth.users_file line: pantau passwd NAME < password", cmdPasswd},
	}
}

func main() {
	os.Exit(mainCode(os.Args[1:], os.Stdout, os.Stderr))
}

func mainCode(args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout, cmds)
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "pantau: unknown command %q\n\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := c.run(ctx, args[1:], stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage), errors.Is(err, flag.ErrHelp):
		return 2
	default:
		fmt.Fprintf(stderr, "pantau %s: %v\n", args[0], err)
		return 1
	}
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: pantau <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun \"pantau <command> -h\" for a command's flags.")
}

// newFlagSet returns a flag set for a sub-command that reports errors
// instead of exiting, and prints its usage to stderr.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("pantau "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}
