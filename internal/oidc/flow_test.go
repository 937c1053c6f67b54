package oidc

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestNewFlowNext(t *testing.T) {
	for _, next := range []string{"/", "/jobs", "/w/team/jobs?tab=1#x"} {
		if f, err := NewFlow(next, time.Now()); err != nil || f.Next != next {
			t.Errorf("NewFlow(%q) = %q, %v; want it kept", next, f.Next, err)
		}
	}
	if f, err := NewFlow("", time.Now()); err != nil || f.Next != "/" {
		t.Errorf("NewFlow(\"\") = %q, %v; want /", f.Next, err)
	}
	for _, next := range []string{"//evil.example", "https://evil.example/", "/\\evil.example", "jobs", "javascript:alert(1)", "/a\r\nSet-Cookie: x"} {
		if _, err := NewFlow(next, time.Now()); !errors.Is(err, ErrInvalidNext) {
			t.Errorf("NewFlow(%q) err = %v, want ErrInvalidNext", next, err)
		}
	}
	if _, err := NewFlow("/"+strings.Repeat("a", MaxNextLen), time.Now()); !errors.Is(err, ErrTooLong) {
		t.Errorf("long next: err = %v, want ErrTooLong", err)
	}
	a, _ := NewFlow("/", time.Now())
	b, _ := NewFlow("/", time.Now())
	if a.State == b.State || a.Nonce == b.Nonce || a.Verifier == b.Verifier || len(a.State) < 43 {
		t.Errorf("two flows share random values or they are short: %+v %+v", a, b)
	}
}

func TestFlowCodec(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := now
	codec, err := NewFlowCodec([]byte(strings.Repeat("k", 32)), 10*time.Minute, func() time.Time { return clock })
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewFlowCodec([]byte(strings.Repeat("o", 32)), 10*time.Minute, func() time.Time { return clock })
	if _, err := NewFlowCodec([]byte("short"), 0, nil); err == nil {
		t.Error("a 5-byte key was accepted")
	}
	f, _ := NewFlow("/jobs", now)
	v, err := codec.Encode(f)
	if err != nil {
		t.Fatal(err)
	}
	got, err := codec.Decode(v)
	if err != nil || got != f {
		t.Fatalf("round trip = %+v, %v; want %+v", got, err, f)
	}
	forged := []byte(v)
	forged[10] ^= 1
	for name, tc := range map[string]struct {
		value string
		codec *FlowCodec
		at    time.Time
		want  error
	}{
		"empty":           {"", codec, now, ErrNoFlow},
		"garbage":         {"hello", codec, now, ErrNoFlow},
		"forged payload":  {string(forged), codec, now, ErrNoFlow},
		"other key":       {v, other, now, ErrNoFlow},
		"too old":         {v, codec, now.Add(11 * time.Minute), ErrFlowExpired},
		"from the future": {v, codec, now.Add(-5 * time.Minute), ErrFlowExpired},
		"too long":        {strings.Repeat("a", MaxFlowCookieLen+1), codec, now, ErrTooLong},
	} {
		t.Run(name, func(t *testing.T) {
			clock = tc.at
			defer func() { clock = now }()
			if _, err := tc.codec.Decode(tc.value); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}

	q := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	for name, tc := range map[string]struct {
		query  url.Values
		cookie string
		want   error
	}{
		"provider error": {q("error", "access_denied", "error_description", "user cancelled", "state", f.State), v, ErrDenied},
		"no code":        {q("state", f.State), v, ErrMissingCode},
		"no state":       {q("code", "c"), v, ErrMissingState},
		"long code":      {q("code", strings.Repeat("c", MaxCodeLen+1), "state", f.State), v, ErrTooLong},
		"long state":     {q("code", "c", "state", strings.Repeat("s", MaxStateLen+1)), v, ErrTooLong},
		"no cookie":      {q("code", "c", "state", f.State), "", ErrNoFlow},
		"state mismatch": {q("code", "c", "state", otherState(f.State)), v, ErrStateMismatch},
	} {
		t.Run("callback "+name, func(t *testing.T) {
			if _, _, err := codec.Callback(tc.query, tc.cookie); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	gotF, code, err := codec.Callback(q("code", "c0de", "state", f.State), v)
	if err != nil || code != "c0de" || gotF != f {
		t.Errorf("good callback = %+v, %q, %v", gotF, code, err)
	}
}

func TestConfigValidation(t *testing.T) {
	good := Config{Issuer: "https://idp.example", ClientID: "switchyard", RedirectURL: "https://sy.example/auth/callback"}
	for field, c := range map[string]Config{
		"issuer":       {ClientID: "c", RedirectURL: "r"},
		"client-id":    {Issuer: good.Issuer, RedirectURL: good.RedirectURL},
		"redirect-url": {Issuer: good.Issuer, ClientID: good.ClientID},
	} {
		var e *Error
		if err := c.validate(); !errors.As(err, &e) || e.Reason != ErrConfig || e.Field != field {
			t.Errorf("%+v: err = %v, want ErrConfig on %s", c, err, field)
		}
	}
	bad := good
	bad.Issuer = "idp.example"
	if err := bad.validate(); !errors.Is(err, ErrConfig) {
		t.Errorf("issuer without scheme: err = %v, want ErrConfig", err)
	}
	if err := good.validate(); err != nil {
		t.Errorf("good config: %v", err)
	}
	if _, err := NewFlowCodec([]byte("short"), 0, nil); !errors.Is(err, ErrConfig) {
		t.Errorf("short flow key: err = %v, want ErrConfig", err)
	}
}

// otherState is state with its first character changed ("x"+state[1:] is the
// same state once in 64 runs, when it starts with x).
func otherState(state string) string {
	if state[0] == 'x' {
		return "y" + state[1:]
	}
	return "x" + state[1:]
}
