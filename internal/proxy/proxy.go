// Package proxy resolves who a request comes from when Switchyard runs
// behind a reverse proxy (an ingress, a load balancer): the client's address
// and whether it used HTTPS. Forwarding headers (X-Forwarded-For,
// X-Forwarded-Proto) are believed only from peers in the trusted ranges;
// from anybody else they are ignored, since any client can send them.
package proxy

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// Resolver finds a request's client. Its zero value trusts no proxy and
// knows no external URL: the TCP peer is the client.
type Resolver struct {
	// Trusted are the ranges of the proxies whose forwarding headers count.
	Trusted []netip.Prefix
	// ExternalURL is the address users reach Switchyard at (nil: unknown).
	// When its scheme is https every request counts as HTTPS (Secure cookies).
	ExternalURL *url.URL
}

// Client is what Resolve found out about a request's client.
type Client struct {
	// Addr is the client's IP address: the TCP peer, or, when the peer is a
	// trusted proxy, the right-most address of X-Forwarded-For that is not
	// itself a trusted proxy.
	Addr string
	// HTTPS is set when the client reached Switchyard over HTTPS: TLS to this
	// server, X-Forwarded-Proto: https from a trusted proxy, or an https
	// ExternalURL.
	HTTPS bool
	// Forwarded is set when Addr came from X-Forwarded-For.
	Forwarded bool
}

// ParseTrusted parses a comma-separated list of CIDR ranges (a bare IP
// address is a range of one). flag names the setting in errors.
func ParseTrusted(flag, list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for item := range strings.SplitSeq(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		p, err := netip.ParsePrefix(item)
		if err != nil {
			addr, aerr := netip.ParseAddr(item)
			if aerr != nil {
				return nil, fmt.Errorf("%s: %q is not a CIDR range (such as 10.0.0.0/8) or an IP address", flag, item)
			}
			p = netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// ParseExternalURL parses the URL users reach Switchyard at: http or https,
// a host, and no path (Switchyard is served at the root of its host), query
// or fragment. flag names the setting in errors.
func ParseExternalURL(flag, s string) (*url.URL, error) {
	if s == "" {
		return nil, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", flag, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("%s: %q must start with https:// or http://", flag, s)
	case u.Host == "" || u.User != nil:
		return nil, fmt.Errorf("%s: %q must name a host, without a user", flag, s)
	case strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("%s: %q must have no path, query or fragment: Switchyard is served at the root of its host", flag, s)
	}
	u.Path = ""
	return u, nil
}

// Resolve returns the client of r.
func (res *Resolver) Resolve(r *http.Request) Client {
	peer := peerAddr(r.RemoteAddr)
	c := Client{Addr: peer.String(), HTTPS: r.TLS != nil || (res.ExternalURL != nil && res.ExternalURL.Scheme == "https")}
	if !peer.IsValid() {
		c.Addr = r.RemoteAddr
		return c
	}
	if !res.trusted(peer) {
		return c
	}
	if addr, ok := res.forwardedFor(r.Header.Values("X-Forwarded-For")); ok {
		c.Addr, c.Forwarded = addr.String(), true
	}
	// The proxy nearest to us says what it was reached over.
	if proto := lastListItem(r.Header.Values("X-Forwarded-Proto")); strings.EqualFold(proto, "https") {
		c.HTTPS = true
	}
	return c
}

// forwardedFor walks X-Forwarded-For from the right (the entry the nearest
// proxy appended) and returns the first address that is not a trusted
// proxy: entries left of it were written by the client and prove nothing.
// When every entry is a trusted proxy, the left-most one is the client.
func (res *Resolver) forwardedFor(values []string) (netip.Addr, bool) {
	var items []string
	for _, v := range values {
		items = append(items, strings.Split(v, ",")...)
	}
	var last netip.Addr
	for i := len(items) - 1; i >= 0; i-- {
		addr, err := netip.ParseAddr(strings.TrimSpace(items[i]))
		if err != nil {
			// Garbage where an address should be: nothing left of it can be
			// believed either.
			return last, last.IsValid()
		}
		addr = addr.Unmap()
		if !res.trusted(addr) {
			return addr, true
		}
		last = addr
	}
	return last, last.IsValid()
}

func (res *Resolver) trusted(a netip.Addr) bool {
	for _, p := range res.Trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// peerAddr is the IP of a "host:port" remote address (invalid if it has none).
func peerAddr(remote string) netip.Addr {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return ap.Addr().Unmap()
	}
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

func lastListItem(values []string) string {
	if len(values) == 0 {
		return ""
	}
	items := strings.Split(values[len(values)-1], ",")
	return strings.TrimSpace(items[len(items)-1])
}

type clientKey struct{}

// Handler resolves each request's client once and keeps it in the request's
// context for ClientOf.
func (res *Resolver) Handler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := res.Resolve(r)
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientKey{}, c)))
	})
}

// ClientOf returns the client Handler resolved for r; without Handler (unit
// tests of handlers), the TCP peer, over HTTPS only if r came over TLS.
func ClientOf(r *http.Request) Client {
	if c, ok := r.Context().Value(clientKey{}).(Client); ok {
		return c
	}
	var none Resolver
	return none.Resolve(r)
}
