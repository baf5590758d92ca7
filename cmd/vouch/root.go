package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/vouchsec/vouch/pkg/registry"
)

// Exit codes: a contract with scripts and CI systems.
const (
	exitOK       = 0
	exitPolicy   = 1 // the policy is not met
	exitUsage    = 2 // bad usage or a bad input file
	exitRegistry = 3 // a registry or the network failed
)

// exitError carries the exit code a command's failure maps to.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(err error) error    { return &exitError{code: exitUsage, err: err} }
func policyErr(err error) error   { return &exitError{code: exitPolicy, err: err} }
func registryErr(err error) error { return &exitError{code: exitRegistry, err: err} }

// classify picks the exit code for an error from a registry operation.
func classify(err error) error {
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	if errors.Is(err, registry.ErrCorruptLayout) {
		return usageErr(err)
	}
	if errors.Is(err, registry.ErrNetwork) || isNetwork(err) {
		return registryErr(err)
	}
	return usageErr(err)
}

// isNetwork reports whether err comes from a connection that failed, such
// as a timestamp authority that did not answer.
func isNetwork(err error) bool {
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &oe) || (errors.As(err, &ne) && ne.Timeout())
}

// stdio is the command's view of the process: streams and environment,
// read in this one place.
type stdio struct {
	in       io.Reader
	out, err io.Writer
	env      func(string) (string, bool)
	// isTerminal reports whether in and out are terminals.
	inTerminal, outTerminal bool
	readPassword            func() ([]byte, error)
}

func newStdio() *stdio {
	return &stdio{
		in: os.Stdin, out: os.Stdout, err: os.Stderr, env: os.LookupEnv,
		inTerminal:  term.IsTerminal(int(os.Stdin.Fd())),
		outTerminal: term.IsTerminal(int(os.Stdout.Fd())),
		readPassword: func() ([]byte, error) {
			return term.ReadPassword(int(os.Stdin.Fd()))
		},
	}
}

// globals are the flags every command has.
type globals struct {
	io        *stdio
	verbose   bool
	logFormat string
	logger    *slog.Logger
	// layouts are the OCI layouts the command reads images from, served
	// to every registry client it makes.
	layouts []*registry.Layout
}

// NewRootCmd builds a fresh command tree.
func NewRootCmd(s *stdio) *cobra.Command {
	g := &globals{io: s}
	root := &cobra.Command{
		Use:   "vouch",
		Short: "Sign, attest, verify and promote container images under one trust policy",
		Long: `vouch signs container images (cosign key pairs, or Notary Project certificates
through notation), attaches signed SBOM and vulnerability-scan attestations,
verifies all of it against one trust policy file, and promotes images between
registries only when that policy holds.

Exit codes: 0 success; 1 the policy is not met; 2 bad usage or a bad input
file; 3 a registry or network failure.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(*cobra.Command, []string) error {
			return g.setupLogger()
		},
	}
	root.SetIn(s.in)
	root.SetOut(s.out)
	root.SetErr(s.err)
	root.PersistentFlags().BoolVarP(&g.verbose, "verbose", "v", false, "log debug detail to stderr")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "text", "log format on stderr: text or json")
	root.AddCommand(
		newKeyCmd(g), newSignCmd(g), newAttestCmd(g), newVerifyCmd(g), newPolicyCmd(g), newInspectCmd(g),
		newPromoteCmd(g), newRegistryCmd(g), newDemoCmd(g), newVersionCmd(g), newBundleCmd(g),
		newVerifyBlobCmd(g), newSignBlobCmd(g),
	)
	return root
}

func (g *globals) setupLogger() error {
	level := slog.LevelWarn
	if g.verbose {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	switch g.logFormat {
	case "text":
		g.logger = slog.New(slog.NewTextHandler(g.io.err, opts))
	case "json":
		g.logger = slog.New(slog.NewJSONHandler(g.io.err, opts))
	default:
		return usageErr(fmt.Errorf("--log-format: want text or json, got %q", g.logFormat))
	}
	return nil
}

// registry returns a registry client for one command run.
func (g *globals) registry() *registry.Client {
	opts := []registry.Option{registry.WithLogger(g.logger), registry.WithUserAgent("vouch/" + versionString())}
	for _, l := range g.layouts {
		opts = append(opts, registry.WithLayout(l))
	}
	return registry.New(opts...)
}

// group marks cmd as a command that only groups subcommands: run alone or
// with an unknown subcommand it fails with a usage error (exit 2), where
// cobra would print help and succeed.
func group(cmd *cobra.Command) *cobra.Command {
	cmd.Args = cobra.ArbitraryArgs
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return usageErr(fmt.Errorf("%s needs a subcommand; see %s --help",
				cmd.CommandPath(), cmd.CommandPath()))
		}
		return usageErr(fmt.Errorf("unknown command %q for %q; see %s --help",
			args[0], cmd.CommandPath(), cmd.CommandPath()))
	}
	return cmd
}

// run executes the command line and returns the process exit code.
func run(ctx context.Context, args []string, s *stdio) int {
	root := NewRootCmd(s)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(s.err, "vouch: %v\n", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	// Errors cobra raises itself are about the command line.
	return exitUsage
}
