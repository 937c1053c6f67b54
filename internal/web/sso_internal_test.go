package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/oidc"
	"github.com/switchyard/switchyard/internal/store"
)

// TestSSOStatus: each refusal of package oidc reads as its reason with a
// 4xx/5xx that is never a 500.
func TestSSOStatus(t *testing.T) {
	tests := []struct {
		err    error
		status int
		says   string
	}{
		{&oidc.Error{Reason: oidc.ErrWrongIssuer, Field: "iss"}, http.StatusUnauthorized, "issued by another issuer"},
		{&oidc.Error{Reason: oidc.ErrWrongAudience, Field: "aud"}, http.StatusUnauthorized, "issued for another client"},
		{&oidc.Error{Reason: oidc.ErrExpired, Field: "exp"}, http.StatusUnauthorized, "ID token expired"},
		{&oidc.Error{Reason: oidc.ErrBadSignature}, http.StatusUnauthorized, "signature does not verify"},
		{&oidc.Error{Reason: oidc.ErrNoFlow}, http.StatusUnauthorized, "no sign-in in progress"},
		{&oidc.Error{Reason: oidc.ErrMissingCode}, http.StatusUnauthorized, "callback has no code"},
		{&oidc.Error{Reason: oidc.ErrInvalidNext}, http.StatusUnauthorized, "next is not a local path"},
		{&oidc.Error{Reason: oidc.ErrProvider}, http.StatusBadGateway, "could not be reached"},
		{&oidc.Error{Reason: oidc.ErrConfig}, http.StatusServiceUnavailable, "misconfigured"},
		{fmt.Errorf("sign in: %w", &store.UsernameTakenError{Username: "admin", Local: true}), http.StatusConflict, "already belongs to a local user"},
		{fmt.Errorf("sign in: %w", &store.ValidationError{Field: "username", Problem: "must not be empty"}), http.StatusUnauthorized, "usable name"},
		{errors.New("database gone"), http.StatusInternalServerError, "Try again"},
	}
	for _, tt := range tests {
		t.Run(tt.says, func(t *testing.T) {
			status, msg := ssoStatus(tt.err)
			if status != tt.status || !strings.Contains(msg, tt.says) {
				t.Fatalf("ssoStatus(%v) = %d %q, want %d saying %q", tt.err, status, msg, tt.status, tt.says)
			}
		})
	}
}
