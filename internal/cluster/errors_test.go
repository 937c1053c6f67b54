package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestUnreachableRedacted(t *testing.T) {
	tests := []struct {
		name, server, reason string
		keep                 string // what went wrong stays
	}{
		{"dial", "https://127.0.0.1:6443", `Get "https://127.0.0.1:6443/version?timeout=5s": dial tcp 127.0.0.1:6443: connect: connection refused`, "connection refused"},
		{"unknown server", "", `Get "https://10.2.3.4:443/version": dial tcp 10.2.3.4:443: i/o timeout`, "i/o timeout"},
		{"dns", "https://api.prod.example.com:6443", `Get "https://api.prod.example.com:6443/api": dial tcp: lookup api.prod.example.com on 10.0.0.2:53: no such host`, "no such host"},
		{"hostname only", "", `dial tcp kube.internal.corp:6443: connect: no route to host`, "no route to host"},
		{"ipv6", "", `dial tcp [fd00::1]:6443: connect: connection refused`, "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &UnreachableError{Cluster: "prod", Server: tt.server, Reason: tt.reason}
			got := e.Redacted().Error()
			for _, leak := range []string{"127.0.0.1", "10.2.3.4", "10.0.0.2", "example.com", "kube.internal", "fd00", "6443", "https://"} {
				if strings.Contains(got, leak) {
					t.Errorf("Redacted() = %q still says %q", got, leak)
				}
			}
			if !strings.Contains(got, tt.keep) || !strings.HasPrefix(got, "cluster prod unreachable: ") {
				t.Errorf("Redacted() = %q; want it to name cluster prod and keep %q", got, tt.keep)
			}
			if !strings.Contains(e.Error(), tt.reason) {
				t.Errorf("Error() = %q lost the full reason", e.Error())
			}
		})
	}
}

func TestWrapUnreachable(t *testing.T) {
	transport := &url.Error{Op: "Get", URL: "https://127.0.0.1:1/api", Err: errors.New("connection refused")}
	gr := schema.GroupResource{Resource: "deployments"}
	tests := []struct {
		name        string
		err         error
		unreachable bool
	}{
		{"nil", nil, false},
		{"transport, wrapped", fmt.Errorf("get deployment: %w", transport), true},
		{"overloaded", apierrors.NewTooManyRequests("slow down", 1), true},
		{"unavailable", apierrors.NewServiceUnavailable("down"), true},
		{"server timeout", apierrors.NewServerTimeout(gr, "get", 1), true},
		{"not found is an answer", apierrors.NewNotFound(gr, "web"), false},
		{"forbidden is an answer", apierrors.NewForbidden(gr, "web", errors.New("rbac")), false},
		{"cancelled by the caller", &url.Error{Op: "Get", URL: "https://x", Err: context.Canceled}, false},
		{"plain", errors.New("boom"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := WrapUnreachable("prod", tt.err)
			var ue *UnreachableError
			if is := errors.As(got, &ue); is != tt.unreachable {
				t.Fatalf("WrapUnreachable(%v) = %v; unreachable %v, want %v", tt.err, got, is, tt.unreachable)
			}
			if tt.err != nil && !errors.Is(got, tt.err) {
				t.Errorf("WrapUnreachable(%v) = %v lost the error it wraps", tt.err, got)
			}
			if tt.unreachable && (ue.Cluster != "prod" || !errors.Is(got, ErrUnreachable)) {
				t.Errorf("WrapUnreachable(%v) = %+v; want cluster prod, matching ErrUnreachable", tt.err, ue)
			}
		})
	}
}
