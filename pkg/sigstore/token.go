package sigstore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/sigstore/cosign/v2/pkg/providers"
	// Registers cosign's GitHub Actions token provider.
	_ "github.com/sigstore/cosign/v2/pkg/providers/github"
	"github.com/sigstore/sigstore/pkg/oauthflow"
)

// The public Sigstore instance, where keyless signing goes by default.
const (
	PublicFulcioURL = "https://fulcio.sigstore.dev"
	PublicRekorURL  = "https://rekor.sigstore.dev"
	// PublicOIDCIssuer is the issuer of the interactive browser flow.
	PublicOIDCIssuer = "https://oauth2.sigstore.dev/auth"
)

// Environment variables an identity token is taken from.
const (
	// EnvIDToken holds an identity token, as cosign reads it.
	EnvIDToken = "SIGSTORE_ID_TOKEN"
	// EnvGitHubRequestURL and EnvGitHubRequestToken are set by GitHub
	// Actions in jobs with permission id-token: write.
	EnvGitHubRequestURL   = "ACTIONS_ID_TOKEN_REQUEST_URL"
	EnvGitHubRequestToken = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
)

// ErrNoToken says that no identity token source was found.
var ErrNoToken = errors.New("no identity token")

// TokenOptions say where an identity token may come from, in the order
// [IDToken] tries them.
type TokenOptions struct {
	// Flag is the --identity-token value: a token, or @FILE to read one.
	Flag string
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
	// Interactive allows the browser flow, for a user at a terminal.
	Interactive bool
	// OIDCIssuer and ClientID are the browser flow's issuer and client;
	// empty means the public instance's and "sigstore".
	OIDCIssuer, ClientID string
}

// IDToken returns an OIDC identity token for keyless signing and says
// where it came from. The first source found wins: the flag, then
// SIGSTORE_ID_TOKEN, then GitHub Actions' ambient token (requested for
// audience sigstore), then, when Interactive, the browser flow. The token
// is not verified here: Fulcio does that.
func IDToken(ctx context.Context, opts TokenOptions) (token, source string, err error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	switch {
	case strings.HasPrefix(opts.Flag, "@"):
		file := strings.TrimPrefix(opts.Flag, "@")
		b, err := os.ReadFile(file)
		if err != nil {
			return "", "", inputErr("--identity-token", err)
		}
		return checkToken(string(b), "the file "+file+" (--identity-token "+opts.Flag+")")
	case opts.Flag != "":
		tok, source, err := checkToken(opts.Flag, "--identity-token")
		if err != nil && strings.Count(opts.Flag, ".") != 2 {
			err = fmt.Errorf("%w; to read a token from a file, write @FILE", err)
		}
		return tok, source, err
	case getenv(EnvIDToken) != "":
		return checkToken(getenv(EnvIDToken), EnvIDToken)
	case getenv(EnvGitHubRequestURL) != "" && getenv(EnvGitHubRequestToken) != "":
		p, err := providers.ProvideFrom(ctx, "github-actions")
		if err != nil {
			return "", "", fmt.Errorf("GitHub Actions token: %w", err)
		}
		tok, err := p.Provide(ctx, "sigstore")
		if err != nil {
			return "", "", fmt.Errorf("requesting GitHub Actions identity token: %w", err)
		}
		return checkToken(tok, "GitHub Actions")
	case opts.Interactive:
		issuer, client := opts.OIDCIssuer, opts.ClientID
		if issuer == "" {
			issuer = PublicOIDCIssuer
		}
		if client == "" {
			client = "sigstore"
		}
		tok, err := oauthflow.OIDConnect(issuer, client, "", "", oauthflow.DefaultIDTokenGetter)
		if err != nil {
			return "", "", fmt.Errorf("browser sign-in at %s: %w", issuer, err)
		}
		return checkToken(tok.RawString, "browser sign-in at "+issuer)
	}
	return "", "", fmt.Errorf("%w: give --identity-token, set %s, run in GitHub Actions with "+
		"id-token: write, or run on a terminal to sign in with a browser", ErrNoToken, EnvIDToken)
}

// checkToken trims tok and refuses one that is plainly not a JWT, or one
// whose exp claim has passed, so that the mistake is named here and not
// by Fulcio. Nothing else is checked: the token is Fulcio's to verify.
func checkToken(tok, source string) (string, string, error) {
	tok = strings.TrimSpace(tok)
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "", "", inputErr("identity token from "+source,
			errors.New("not a JWT (three dot-separated parts)"))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct {
		Exp *float64 `json:"exp"`
	}
	if err == nil {
		err = json.Unmarshal(raw, &claims)
	}
	if err != nil {
		return "", "", inputErr("identity token from "+source,
			fmt.Errorf("its claims cannot be read: %w", err))
	}
	if claims.Exp != nil {
		exp := time.Unix(int64(*claims.Exp), 0)
		if time.Now().After(exp) {
			return "", "", inputErr("identity token from "+source,
				fmt.Errorf("expired at %s: get a fresh one", exp.UTC().Format(time.RFC3339)))
		}
	}
	return tok, source, nil
}
