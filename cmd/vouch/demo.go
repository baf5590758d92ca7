package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vouchsec/vouch"
	"github.com/vouchsec/vouch/pkg/registry"
)

const demoPassword = "vouch-demo-password"

func newDemoCmd(g *globals) *cobra.Command {
	var keep bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the main job end to end on an embedded registry and a sample image",
		Long: `Start an OCI registry in this process on a free loopback port, push the sample
image that ships inside vouch, generate keys, sign the image, attest its SBOM
and scan report, verify it against examples/trust-policy.yaml, promote it from
staging to prod, verify it there, and show a tampered copy and an image with a
critical finding being refused. Every step runs a real vouch command, printed
as it runs. Nothing leaves the machine; the temporary files are removed at the
end unless --keep is given.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := newDemo(cmd.Context(), cmd.OutOrStdout(), keep)
			if err != nil {
				return err
			}
			defer d.close()
			return d.run(cmd.Context())
		},
	}
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the temporary directory (keys, policy) for a look afterwards")
	return cmd
}

// demo is one run of the demo: a registry, a work directory, and the
// commands run against them.
type demo struct {
	out  io.Writer
	dir  string
	host string
	keep bool
	srv  *http.Server
	reg  *registry.Client
}

func newDemo(ctx context.Context, out io.Writer, keep bool) (*demo, error) {
	dir, err := os.MkdirTemp("", "vouch-demo-")
	if err != nil {
		return nil, err
	}
	d := &demo{out: out, dir: dir, keep: keep, reg: registry.New()}
	if err := d.extract(); err != nil {
		d.close()
		return nil, err
	}
	h, err := registry.NewHandler(registry.ServeOptions{Dir: filepath.Join(dir, "registry"), Referrers: true})
	if err != nil {
		d.close()
		return nil, err
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		d.close()
		return nil, fmt.Errorf("listening on loopback: %w", err)
	}
	d.host = ln.Addr().String()
	d.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = d.srv.Serve(ln) }()
	return d, nil
}

func (d *demo) close() {
	if d.srv != nil {
		_ = d.srv.Close()
	}
	if d.keep {
		fmt.Fprintf(d.out, "\nKept %s\n", d.dir)
		return
	}
	_ = os.RemoveAll(d.dir)
}

// extract writes the embedded samples into the work directory.
func (d *demo) extract() error {
	return fs.WalkDir(vouch.Samples, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(d.dir, filepath.FromSlash(p))
		if e.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := vouch.Samples.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
}

func (d *demo) path(p string) string { return filepath.Join(d.dir, filepath.FromSlash(p)) }

func (d *demo) ref(repo string) string { return d.host + "/" + repo }

func (d *demo) say(format string, args ...any) {
	fmt.Fprintf(d.out, "\n== "+format+"\n", args...)
}

// vouch runs one vouch command in process, printing it first, and checks
// that it exits with the expected code.
func (d *demo) vouch(ctx context.Context, want int, args ...string) error {
	shown := strings.ReplaceAll(strings.Join(args, " "), d.dir+string(filepath.Separator), "")
	fmt.Fprintf(d.out, "$ vouch %s\n", shown)
	s := &stdio{
		in: strings.NewReader(""), out: d.out, err: d.out,
		env: func(k string) (string, bool) {
			if k == "VOUCH_PASSWORD" {
				return demoPassword, true
			}
			return "", false
		},
	}
	got := run(ctx, args, s)
	if got != want {
		return fmt.Errorf("demo: `vouch %s` exited %d, expected %d", shown, got, want)
	}
	if want != exitOK {
		fmt.Fprintf(d.out, "(exit %d, as expected)\n", got)
	}
	return nil
}

var errDemo = errors.New("demo")
