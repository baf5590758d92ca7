package teststack

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

const (
	fulcioStartTimeout = time.Minute
	fulcioAttempts     = 5
	logTail            = 64 << 10

	// deadProxy is a loopback address where nothing listens: fulcio's
	// requests to anything but loopback go there and fail at once.
	deadProxy = "http://127.0.0.1:9"
)

// fulcioProc is a running fulcio serve with an ephemeral CA.
type fulcioProc struct {
	url   string
	chain []*x509.Certificate // leaf-most first, root last
	log   *tailBuffer
}

// fulcioSetup is what fulcio is pointed at.
type fulcioSetup struct {
	bin     string
	dir     string // holds the config and the CT key while fulcio starts
	issuers map[Issuer]string
	ctURL   string
	ctKey   []byte // PEM
}

// startFulcio starts fulcio, retrying with new ports when it exits before
// it is ready (another process took a port between probe and bind).
func startFulcio(s fulcioSetup) (*fulcioProc, error) {
	if err := s.writeFiles(); err != nil {
		return nil, err
	}
	var err error
	for range fulcioAttempts {
		var p *fulcioProc
		if p, err = s.start(); err == nil {
			return p, nil
		}
	}
	return nil, err
}

func (s fulcioSetup) writeFiles() error {
	issuers := map[string]any{}
	for kind, typ := range map[Issuer]string{EmailIssuer: "email", GitHubIssuer: "github-workflow"} {
		issuers[s.issuers[kind]] = map[string]string{
			"IssuerURL": s.issuers[kind], "ClientID": Audience, "Type": typ,
		}
	}
	cfg, err := json.Marshal(map[string]any{"OIDCIssuers": issuers})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(s.dir, "config.json"), cfg, 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(s.dir, "ctfe.pem"), s.ctKey, 0o600)
}

// start runs one attempt and waits until fulcio serves its trust bundle.
func (s fulcioSetup) start() (*fulcioProc, error) {
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(s.bin, "serve",
		"--ca", "ephemeralca",
		"--host", "127.0.0.1", "--port", ports[0],
		"--grpc-host", "127.0.0.1", "--grpc-port", ports[1],
		"--metrics-port", ports[2],
		"--legacy-unix-domain-socket", legacySocket(ports[1]),
		"--config-path", filepath.Join(s.dir, "config.json"),
		"--ct-log-url", s.ctURL,
		"--ct-log-public-key-path", filepath.Join(s.dir, "ctfe.pem"))
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + s.dir,
		"HTTP_PROXY=" + deadProxy, "HTTPS_PROXY=" + deadProxy,
		"http_proxy=" + deadProxy, "https_proxy=" + deadProxy,
		"NO_PROXY=127.0.0.1,localhost,::1", "no_proxy=127.0.0.1,localhost,::1",
	}
	cmd.SysProcAttr = childAttr()
	p := &fulcioProc{url: "http://127.0.0.1:" + ports[0], log: &tailBuffer{max: logTail}}
	cmd.Stdout, cmd.Stderr = p.log, p.log
	exited, err := run(cmd)
	if err != nil {
		return nil, fmt.Errorf("starting fulcio: %w", err)
	}
	p.chain, err = waitReady(p.url, exited)
	if err != nil {
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("%w\nfulcio's log:\n%s", err, p.log)
	}
	return p, nil
}

// run starts cmd from a goroutine locked to its thread that then waits for
// cmd for as long as it runs: the parent-death signal is tied to the thread
// that started the child, so that thread must outlive the child.
func run(cmd *exec.Cmd) (exited <-chan error, err error) {
	started := make(chan error)
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		done <- cmd.Wait()
	}()
	return done, <-started
}

// waitReady polls fulcio's trust bundle until it answers, and returns the
// CA chain in it.
func waitReady(url string, exited <-chan error) ([]*x509.Certificate, error) {
	deadline := time.Now().Add(fulcioStartTimeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("fulcio exited before it was ready: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		chain, err := trustBundle(url)
		if err == nil {
			return chain, nil
		}
	}
	return nil, fmt.Errorf("fulcio not ready after %s", fulcioStartTimeout)
}

// trustBundle fetches GET /api/v2/trustBundle and returns its first chain.
func trustBundle(url string) ([]*x509.Certificate, error) {
	resp, err := http.Get(url + "/api/v2/trustBundle")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("trust bundle: %s", resp.Status)
	}
	var bundle struct {
		Chains []struct {
			Certificates []string `json:"certificates"`
		} `json:"chains"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&bundle); err != nil {
		return nil, fmt.Errorf("decoding trust bundle: %w", err)
	}
	if len(bundle.Chains) == 0 || len(bundle.Chains[0].Certificates) == 0 {
		return nil, errors.New("trust bundle has no chain")
	}
	var all []byte
	for _, c := range bundle.Chains[0].Certificates {
		all = append(all, c...)
	}
	return cryptoutils.UnmarshalCertificatesFromPEM(all)
}

// legacySocket names the Unix socket of fulcio's legacy gRPC server after
// the gRPC port, so that two fulcio processes never share it: fulcio's
// default is one fixed abstract name.
func legacySocket(grpcPort string) string {
	return fmt.Sprintf("@teststack-fulcio-%d-%s", os.Getpid(), grpcPort)
}

// freePorts returns n ports that were free on 127.0.0.1 a moment ago.
func freePorts(n int) ([]string, error) {
	var ports []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
	}
	return ports, nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if extra := b.buf.Len() - b.max; extra > 0 {
		b.buf.Next(extra)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// pemKey encodes a public key as a PEM PUBLIC KEY block.
func pemKey(pub any) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}
