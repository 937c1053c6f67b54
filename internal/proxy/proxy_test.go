package proxy

import (
	"crypto/tls"
	"net/http/httptest"
	"testing"
)

func TestResolve(t *testing.T) {
	trusted, err := ParseTrusted("--trusted-proxies", "10.0.0.0/8, 192.168.1.1, ::1")
	if err != nil {
		t.Fatal(err)
	}
	res := &Resolver{Trusted: trusted}
	for _, tc := range []struct {
		name, peer, xff, proto string
		tls                    bool
		want                   Client
	}{
		{name: "untrusted peer: headers ignored", peer: "203.0.113.1:5", xff: "198.51.100.9", proto: "https",
			want: Client{Addr: "203.0.113.1"}},
		{name: "untrusted peer over TLS", peer: "203.0.113.1:5", tls: true, want: Client{Addr: "203.0.113.1", HTTPS: true}},
		{name: "trusted peer without headers", peer: "10.1.2.3:5", want: Client{Addr: "10.1.2.3"}},
		{name: "trusted peer, one hop", peer: "10.1.2.3:5", xff: "198.51.100.9", proto: "https",
			want: Client{Addr: "198.51.100.9", HTTPS: true, Forwarded: true}},
		{name: "forged entries left of the right-most untrusted one", peer: "10.1.2.3:5", xff: "1.1.1.1, 198.51.100.9, 10.9.9.9",
			want: Client{Addr: "198.51.100.9", Forwarded: true}},
		{name: "several headers are one list", peer: "10.1.2.3:5", xff: "1.1.1.1\n198.51.100.9",
			want: Client{Addr: "198.51.100.9", Forwarded: true}},
		{name: "every entry trusted: the left-most", peer: "10.1.2.3:5", xff: "10.5.5.5, 192.168.1.1",
			want: Client{Addr: "10.5.5.5", Forwarded: true}},
		{name: "garbage right-most: the peer", peer: "10.1.2.3:5", xff: "198.51.100.9, not-an-ip",
			want: Client{Addr: "10.1.2.3"}},
		{name: "IPv6 trusted peer, IPv4-mapped client", peer: "[::1]:5", xff: "::ffff:198.51.100.9",
			want: Client{Addr: "198.51.100.9", Forwarded: true}},
		{name: "last proto counts", peer: "10.1.2.3:5", proto: "https, http", want: Client{Addr: "10.1.2.3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.peer
			for _, v := range splitLines(tc.xff) {
				r.Header.Add("X-Forwarded-For", v)
			}
			if tc.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tc.proto)
			}
			if tc.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if got := res.Resolve(r); got != tc.want {
				t.Errorf("Resolve: got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	start := 0
	for i := range len(s) {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func TestExternalURLMakesHTTPS(t *testing.T) {
	u, err := ParseExternalURL("--external-url", "https://switchyard.example.com/")
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	if got := (&Resolver{ExternalURL: u}).Resolve(r); !got.HTTPS {
		t.Errorf("with an https external URL: %+v, want HTTPS", got)
	}
	if u.String() != "https://switchyard.example.com" {
		t.Errorf("external URL %q, want it without the trailing slash", u)
	}
	if _, err := ParseExternalURL("--external-url", "http://x/a"); err == nil {
		t.Errorf("an external URL with a path: no error")
	}
}

func TestParseTrusted(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "host.example", "10.0.0.1/8/1"} {
		if _, err := ParseTrusted("--trusted-proxies", bad); err == nil {
			t.Errorf("ParseTrusted(%q): no error", bad)
		}
	}
	got, err := ParseTrusted("--trusted-proxies", " 10.1.2.3/8 ,,::1 ")
	if err != nil || len(got) != 2 || got[0].String() != "10.0.0.0/8" || got[1].String() != "::1/128" {
		t.Errorf("ParseTrusted: %v, %v; want [10.0.0.0/8 ::1/128]", got, err)
	}
}

// BenchmarkResolve: the cost per request of finding the client behind a
// proxy chain of three.
func BenchmarkResolve(b *testing.B) {
	trusted, _ := ParseTrusted("--trusted-proxies", "10.0.0.0/8,192.168.0.0/16")
	res := &Resolver{Trusted: trusted}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.1.2.3:4567"
	r.Header.Set("X-Forwarded-For", "1.2.3.4, 198.51.100.9, 192.168.3.3, 10.9.9.9")
	r.Header.Set("X-Forwarded-Proto", "https")
	for b.Loop() {
		_ = res.Resolve(r)
	}
}
