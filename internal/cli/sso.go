package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/oidc"
)

// ssoTimeout bounds how long `login --sso` waits for the browser to come back.
const ssoTimeout = 5 * time.Minute

// ssoLogin signs in through the server's OpenID provider as its public CLI
// client: the authorization code flow with PKCE, state and nonce, on a
// loopback callback of a free port. It prints the URL to open, receives the
// code, verifies the ID token and trades it at the server for an API token.
func (c *cli) ssoLogin(ctx context.Context, cx *serverContext, host string, days int) error {
	cl, err := client.New(cx.Server)
	if err != nil {
		return err
	}
	cfg, err := cl.SSOConfig(ctx)
	if err != nil {
		return fmt.Errorf("read the server's single sign-on: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen for the sign-in callback: %w", err)
	}
	defer ln.Close()
	redirect := "http://" + ln.Addr().String() + "/callback"
	p, err := oidc.New(ctx, oidc.Config{Issuer: cfg.Issuer, ClientID: cfg.CLIClientID, RedirectURL: redirect})
	if err != nil {
		return fmt.Errorf("discover the identity provider: %w", err)
	}
	flow, err := oidc.NewFlow("/", time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "Open this URL in a browser to sign in (waiting up to %s):\n\n  %s\n\n", ssoTimeout, p.AuthURL(flow.State, flow.Nonce, flow.Verifier))
	idToken, err := c.awaitCallback(ctx, ln, p, flow)
	if err != nil {
		return err
	}
	name := "cli-sso-" + host
	tok, err := cl.LoginSSO(ctx, idToken, name, days)
	if client.StatusOf(err) == http.StatusConflict && tok != nil {
		tok, err = cl.LoginSSO(ctx, idToken, name+"-"+time.Now().UTC().Format("20060102-150405"), days)
	}
	if err != nil {
		return fmt.Errorf("sign in to %s: %w", cx.Server, err)
	}
	return c.storeToken(ctx, cx, tok.Secret)
}

// awaitCallback serves the loopback callback until the provider sends the
// browser back, checks it against flow and returns the verified raw ID token.
func (c *cli) awaitCallback(ctx context.Context, ln net.Listener, p *oidc.Provider, flow oidc.Flow) (string, error) {
	type result struct {
		token string
		err   error
	}
	done := make(chan result, 1)
	// The flow never leaves this process: the codec only gives the callback
	// the same checks (provider error, code, state) the server's has.
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	codec, err := oidc.NewFlowCodec(key, ssoTimeout, nil)
	if err != nil {
		return "", err
	}
	cookie, err := codec.Encode(flow)
	if err != nil {
		return "", err
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r)
			return
		}
		var raw string
		_, code, err := codec.Callback(r.URL.Query(), cookie)
		if err == nil {
			_, raw, err = p.ExchangeRaw(r.Context(), code, flow.Verifier, flow.Nonce)
		}
		if err != nil {
			http.Error(w, "Sign-in refused: "+err.Error(), http.StatusUnauthorized)
		} else {
			fmt.Fprintln(w, "Signed in to Switchyard. You can close this tab and return to the terminal.")
		}
		select {
		case done <- result{raw, err}:
		default:
		}
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(ctx, ssoTimeout)
	defer cancel()
	select {
	case res := <-done:
		return res.token, res.err
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", fmt.Errorf("no sign-in within %s: run login --sso again", ssoTimeout)
		}
		return "", ctx.Err()
	}
}
