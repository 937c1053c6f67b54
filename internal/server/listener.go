package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// DefaultMaxConnsPerClient caps the connections one client address may hold
// open at once (Options.MaxConnsPerClient). A browser opens about six per
// site; the CLI one or two. Connections past the cap get a 503 and are closed.
const DefaultMaxConnsPerClient = 64

// perClientListener caps the open connections per client IP address, so that
// one client trickling requests can't hold every file descriptor (and starve
// /healthz and everybody else). golang.org/x/net/netutil.LimitListener caps
// only the total, which one client would then fill alone.
type perClientListener struct {
	net.Listener
	max int

	mu   sync.Mutex
	open map[string]int // client IP → open connections
}

func newPerClientListener(ln net.Listener, max int) *perClientListener {
	return &perClientListener{Listener: ln, max: max, open: map[string]int{}}
}

// Accept returns the next connection whose address is under the cap. Those
// over it get a short 503 (in the API's JSON error format) and are closed
// here, without reaching the HTTP server.
func (l *perClientListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := clientIP(c.RemoteAddr())
		l.mu.Lock()
		ok := l.open[ip] < l.max
		if ok {
			l.open[ip]++
		}
		l.mu.Unlock()
		if ok {
			return &countedConn{Conn: &jsonErrorConn{Conn: c}, release: func() { l.release(ip) }}, nil
		}
		refuse(c, l.max)
	}
}

func (l *perClientListener) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[ip] <= 1 {
		delete(l.open, ip)
	} else {
		l.open[ip]--
	}
}

// refuse answers a connection over the cap and closes it. The write can't
// block Accept: it is tiny, fits the socket buffer, and has a deadline.
func refuse(c net.Conn, max int) {
	_ = c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	_, _ = c.Write(errorReply(http.StatusServiceUnavailable, "too_many_connections",
		fmt.Sprintf("this client address already has %d connections open: close some or retry later", max)))
	_ = c.Close()
}

// clientIP is the IP of a remote address (the address itself if it has no port).
func clientIP(a net.Addr) string {
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// countedConn releases its slot in the per-client count once, on Close.
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

// Close implements net.Conn.
func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// jsonErrorConn turns the plain-text error replies net/http writes by itself,
// before any handler runs (a request line it can't parse, such as a path
// with "%u0000", or headers too large), into the API's JSON error format.
// net/http writes each such reply in one Write of a fixed shape: a status
// line, exactly goErrorHeaders, and the status text as the body; a handler's
// response always carries a Date header, so it never matches.
type jsonErrorConn struct {
	net.Conn
}

// goErrorHeaders are the headers of net/http's own error replies.
const goErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// Write implements net.Conn.
func (c *jsonErrorConn) Write(p []byte) (int, error) {
	if status, text, ok := parseGoError(p); ok {
		if _, err := c.Conn.Write(errorReply(status, "bad_request", "the request could not be read ("+text+
			"): check the request line (a path or query with an invalid %-escape such as %u0000) and the headers")); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// parseGoError recognises "HTTP/1.1 400 Bad Request" + goErrorHeaders + body.
func parseGoError(p []byte) (status int, text string, ok bool) {
	rest, found := bytes.CutPrefix(p, []byte("HTTP/1.1 "))
	if !found || len(rest) < 4 || rest[3] != ' ' {
		return 0, "", false
	}
	status, err := strconv.Atoi(string(rest[:3]))
	if err != nil || status < 400 || status > 599 {
		return 0, "", false
	}
	line, body, found := bytes.Cut(rest, []byte(goErrorHeaders))
	if !found || bytes.ContainsAny(line, "\r\n") || !bytes.HasPrefix(body, line) {
		return 0, "", false
	}
	return status, string(body), true
}

// errorReply is a complete HTTP/1.1 response closing the connection, with
// the API's JSON error body.
func errorReply(status int, code, message string) []byte {
	body, _ := json.Marshal(map[string]any{"error": map[string]string{"code": code, "message": message}})
	return fmt.Appendf(nil, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nX-Content-Type-Options: nosniff\r\n"+
		"Content-Length: %d\r\nConnection: close\r\n\r\n%s", status, http.StatusText(status), len(body), body)
}
