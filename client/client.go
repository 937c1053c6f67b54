// Package client is the Go client of Switchyard's REST API (/api/v1). The
// CLI and the API's own integration tests use it.
//
// A Client authenticates either with a personal API token (WithToken) or
// with a browser-style session: Login stores the session cookie in the
// client's cookie jar and remembers the CSRF token, which it then sends on
// every write. Failed calls return a *Error carrying the HTTP status and the
// API's error code, message and field.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Client calls one Switchyard server. It is safe for concurrent use.
type Client struct {
	base  *url.URL
	http  *http.Client
	token string

	mu   sync.Mutex
	csrf string
}

// Option configures a Client.
type Option func(*Client)

// WithToken authenticates every request with a personal API token.
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// WithHTTPClient uses hc for requests. Session logins need hc to have a
// cookie jar; New gives the default client one.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// New returns a client of the server at baseURL, e.g. "http://127.0.0.1:8080".
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimSuffix(baseURL, "/"))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("client: base URL %q must be absolute, like http://host:port", baseURL)
	}
	jar, _ := cookiejar.New(nil) // never fails without options
	c := &Client{base: u, http: &http.Client{Jar: jar, Timeout: time.Minute}}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Error is an error answered by the server.
type Error struct {
	Status     int           // HTTP status code
	Code       string        // machine-readable: "invalid", "not_found", "forbidden", …
	Message    string        // for people
	Field      string        // the request field at fault, if any
	Phase      string        // for a job operation refused with 409: the job's current phase
	RetryAfter time.Duration // for 429: when to try again
	// Fields lists every field at fault when the request broke the rules of
	// several; Field and Message are then the first one.
	Fields []FieldProblem
}

// FieldProblem is one field and the rule it breaks.
type FieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error implements error.
func (e *Error) Error() string {
	msg := fmt.Sprintf("switchyard: %d %s: %s", e.Status, e.Code, e.Message)
	for _, f := range e.Fields[min(1, len(e.Fields)):] {
		msg += "; " + f.Message
	}
	return msg + e.FieldNote()
}

// FieldNote is " (field X)", " (fields X, Y)" for several, or "" when no
// field is at fault: the end of an error line for people.
func (e *Error) FieldNote() string {
	switch {
	case len(e.Fields) > 1:
		names := make([]string, 0, len(e.Fields))
		for _, f := range e.Fields {
			names = append(names, f.Field)
		}
		return " (fields " + strings.Join(names, ", ") + ")"
	case e.Field != "":
		return " (field " + e.Field + ")"
	}
	return ""
}

// StatusOf returns the HTTP status of an *Error in err's chain, or 0.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// SetCSRFToken replaces the CSRF token sent on writes of a session login;
// "" sends none. Login sets it; tests use this to check the server's CSRF defence.
func (c *Client) SetCSRFToken(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.csrf = token
}

// do sends a request with an optional JSON body and decodes a JSON answer into out.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
	}
	return c.Raw(ctx, method, path, "application/json", body, out)
}

// Raw sends body as is with the given content type (none when body is nil)
// and decodes a JSON answer into out, if out is not nil. It is for requests
// the typed methods cannot make, such as deliberately malformed ones.
func (c *Client) Raw(ctx context.Context, method, path, contentType string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	c.authorize(req)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return decodeError(resp)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// authorize adds the token, or the CSRF token of a session on writes.
func (c *Client) authorize(req *http.Request) {
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
		return
	}
	c.mu.Lock()
	csrf := c.csrf
	c.mu.Unlock()
	if csrf != "" && req.Method != http.MethodGet && req.Method != http.MethodHead {
		req.Header.Set("X-CSRF-Token", csrf)
	}
}

// decodeError reads the API's error body.
func decodeError(resp *http.Response) error {
	var body struct {
		Error *Error `json:"error"`
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	e := &Error{Status: resp.StatusCode, Code: "http", Message: http.StatusText(resp.StatusCode)}
	if json.Unmarshal(data, &body) == nil && body.Error != nil {
		e.Code, e.Message, e.Field, e.Phase, e.Fields = body.Error.Code, body.Error.Message, body.Error.Field, body.Error.Phase, body.Error.Fields
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	return e
}

// UnmarshalJSON reads the API's error object.
func (e *Error) UnmarshalJSON(b []byte) error {
	var v struct {
		Code, Message, Field, Phase string
		Fields                      []FieldProblem
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	e.Code, e.Message, e.Field, e.Phase, e.Fields = v.Code, v.Message, v.Field, v.Phase, v.Fields
	return nil
}

// pathEscape escapes one path segment.
func pathEscape(s string) string { return url.PathEscape(s) }

// list is the envelope of list answers.
type list[T any] struct {
	Items []T `json:"items"`
}
