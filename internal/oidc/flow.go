package oidc

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// FlowCookie is the name of the cookie that carries a sign-in in progress.
const FlowCookie = "switchyard_oidc_flow"

// MaxNextLen bounds Flow.Next; MaxFlowCookieLen bounds the cookie value read back.
const (
	MaxNextLen       = 2048
	MaxFlowCookieLen = 4096
	DefaultFlowTTL   = 10 * time.Minute
	minFlowKeyLen    = 32
	flowVersion      = "v1"
)

// Flow is one sign-in in progress: what the callback needs to finish it. It travels
// in a signed cookie (FlowCodec), so the server keeps no table of sign-ins.
type Flow struct {
	State    string    `json:"s"` // sent to the provider, comes back on the callback
	Nonce    string    `json:"n"` // must come back inside the ID token
	Verifier string    `json:"v"` // PKCE code verifier; its S256 challenge went out
	Next     string    `json:"x"` // local path to land on after sign-in
	Created  time.Time `json:"c"`
}

// NewFlow starts a sign-in that lands on next (a local path such as "/jobs"; empty
// means "/"): fresh random state and nonce, a PKCE verifier.
func NewFlow(next string, now time.Time) (Flow, error) {
	if next == "" {
		next = "/"
	}
	if err := checkNext(next); err != nil {
		return Flow{}, err
	}
	return Flow{State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier(), Next: next, Created: now.UTC()}, nil
}

// checkNext refuses anything but a local path, so the callback cannot be made to
// redirect to another site.
func checkNext(next string) error {
	if len(next) > MaxNextLen {
		return fail(ErrTooLong, "next", "longer than %d bytes", MaxNextLen)
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(next, "/") ||
		strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return fail(ErrInvalidNext, "next", "must be a path on this server starting with a single /")
	}
	return nil
}

func random() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// FlowCodec signs a Flow into a cookie value and reads it back. The value is
// "v1.<payload>.<HMAC-SHA256 of v1.payload>", base64url: not secret (state and nonce
// are sent in the clear anyway, the verifier only proves possession to the provider),
// but unforgeable and short-lived.
type FlowCodec struct {
	key []byte
	ttl time.Duration
	now func() time.Time
}

// NewFlowCodec returns a codec signing with key (at least 32 bytes, kept secret and
// the same on every replica) whose flows are good for ttl (DefaultFlowTTL when 0).
// now is the clock (nil: time.Now).
func NewFlowCodec(key []byte, ttl time.Duration, now func() time.Time) (*FlowCodec, error) {
	if len(key) < minFlowKeyLen {
		return nil, fail(ErrConfig, "flow key", "must be at least %d bytes", minFlowKeyLen)
	}
	if ttl <= 0 {
		ttl = DefaultFlowTTL
	}
	if now == nil {
		now = time.Now
	}
	return &FlowCodec{key: append([]byte(nil), key...), ttl: ttl, now: now}, nil
}

// Encode returns the signed cookie value of f.
func (c *FlowCodec) Encode(f Flow) (string, error) {
	b, err := json.Marshal(f)
	if err != nil {
		return "", err
	}
	body := flowVersion + "." + base64.RawURLEncoding.EncodeToString(b)
	return body + "." + base64.RawURLEncoding.EncodeToString(c.mac(body)), nil
}

func (c *FlowCodec) mac(body string) []byte {
	h := hmac.New(sha256.New, c.key)
	h.Write([]byte(body))
	return h.Sum(nil)
}

// Decode checks the signature and age of a cookie value and returns its Flow:
// ErrNoFlow when it is empty, forged or signed with another key, ErrFlowExpired when
// older than the TTL.
func (c *FlowCodec) Decode(value string) (Flow, error) {
	if value == "" {
		return Flow{}, fail(ErrNoFlow, FlowCookie, "no cookie")
	}
	if len(value) > MaxFlowCookieLen {
		return Flow{}, fail(ErrTooLong, FlowCookie, "longer than %d bytes", MaxFlowCookieLen)
	}
	i := strings.LastIndexByte(value, '.')
	if i <= len(flowVersion) || !strings.HasPrefix(value, flowVersion+".") {
		return Flow{}, fail(ErrNoFlow, FlowCookie, "not a sign-in cookie")
	}
	body := value[:i]
	sig, err := base64.RawURLEncoding.DecodeString(value[i+1:])
	if err != nil || !hmac.Equal(sig, c.mac(body)) {
		return Flow{}, fail(ErrNoFlow, FlowCookie, "signature does not verify")
	}
	raw, err := base64.RawURLEncoding.DecodeString(body[len(flowVersion)+1:])
	var f Flow
	if err != nil || json.Unmarshal(raw, &f) != nil || f.State == "" || f.Verifier == "" {
		return Flow{}, fail(ErrNoFlow, FlowCookie, "payload unreadable")
	}
	now := c.now()
	if age := now.Sub(f.Created); age > c.ttl || age < -time.Minute {
		return Flow{}, fail(ErrFlowExpired, FlowCookie, "started %s ago, at most %s allowed", age.Round(time.Second), c.ttl)
	}
	return f, nil
}

// Callback checks the query of a request to the redirect URL against the flow
// cookie and returns the flow and the authorization code to pass to Exchange. The
// caller clears the cookie (ClearCookie) whatever the result: together with the
// state having to match the cookie, that is what makes a state good for one
// callback only (see README). The checks, in order: the provider's own error, the
// code, the state, the cookie, state = cookie's state.
func (c *FlowCodec) Callback(query url.Values, cookieValue string) (Flow, string, error) {
	if e := query.Get("error"); e != "" {
		return Flow{}, "", fail(ErrDenied, "error", "%s", clip(e+": "+query.Get("error_description"), 200))
	}
	code, state := query.Get("code"), query.Get("state")
	switch {
	case code == "":
		return Flow{}, "", fail(ErrMissingCode, "code", "the callback carries no authorization code")
	case len(code) > MaxCodeLen:
		return Flow{}, "", fail(ErrTooLong, "code", "longer than %d bytes", MaxCodeLen)
	case state == "":
		return Flow{}, "", fail(ErrMissingState, "state", "the callback carries no state")
	case len(state) > MaxStateLen:
		return Flow{}, "", fail(ErrTooLong, "state", "longer than %d bytes", MaxStateLen)
	}
	f, err := c.Decode(cookieValue)
	if err != nil {
		return Flow{}, "", err
	}
	if subtle.ConstantTimeCompare([]byte(f.State), []byte(state)) != 1 {
		return Flow{}, "", fail(ErrStateMismatch, "state", "the callback belongs to another sign-in")
	}
	return f, code, nil
}

// FromRequest is Callback on a request to the redirect URL: its query and its flow
// cookie.
func (c *FlowCodec) FromRequest(r *http.Request) (Flow, string, error) {
	value := ""
	if ck, err := r.Cookie(FlowCookie); err == nil {
		value = ck.Value
	} else if !errors.Is(err, http.ErrNoCookie) {
		return Flow{}, "", fail(ErrNoFlow, FlowCookie, "unreadable")
	}
	return c.Callback(r.URL.Query(), value)
}

// Cookie is the flow cookie to set when the sign-in starts. SameSite=Lax, not
// Strict: the callback is a top-level navigation coming from the provider's site,
// which a Strict cookie would not come back on. path is where the sign-in routes
// live ("/auth"), secure whether the console is served over HTTPS.
func (c *FlowCodec) Cookie(value, path string, secure bool) *http.Cookie {
	return &http.Cookie{Name: FlowCookie, Value: value, Path: path, MaxAge: int(c.ttl / time.Second),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}
}

// ClearCookie deletes the flow cookie; set it on every callback response.
func ClearCookie(path string, secure bool) *http.Cookie {
	return &http.Cookie{Name: FlowCookie, Value: "", Path: path, MaxAge: -1,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
