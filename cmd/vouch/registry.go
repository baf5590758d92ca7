package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/vouchsec/vouch/pkg/registry"
)

func newRegistryCmd(g *globals) *cobra.Command {
	cmd := group(&cobra.Command{Use: "registry", Short: "Run a local OCI registry"})
	cmd.AddCommand(newRegistryServeCmd(g))
	return cmd
}

func newRegistryServeCmd(g *globals) *cobra.Command {
	opts := registry.ServeOptions{}
	cmd := &cobra.Command{
		Use:   "serve --addr 127.0.0.1:5000 --dir DIR",
		Short: "Serve an embedded OCI registry for local work, demos and tests",
		Long: `Serve go-containerregistry's OCI registry with the referrers API on and blobs
stored on disk in DIR. It speaks plain HTTP and has no authentication: keep it
on a loopback address. It runs until interrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Dir == "" {
				return usageErr(errors.New("--dir is required"))
			}
			opts.Logger = g.logger
			// Said once the address is bound, not before: a busy port
			// must not look like a registry that is up.
			opts.Ready = func(addr string) {
				fmt.Fprintf(cmd.OutOrStdout(), "Serving an OCI registry on http://%s (blobs in %s)\n", addr, opts.Dir)
			}
			if err := registry.Serve(cmd.Context(), opts); err != nil {
				return fmt.Errorf("serving: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.Addr, "addr", "127.0.0.1:5000", "address to listen on")
	cmd.Flags().StringVar(&opts.Dir, "dir", "", "directory for blobs (required)")
	cmd.Flags().BoolVar(&opts.Referrers, "referrers", true, "serve the OCI 1.1 referrers API")
	return cmd
}
