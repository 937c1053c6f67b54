package oidc

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestMapClaims(t *testing.T) {
	many := make([]any, MaxGroups+1)
	for i := range many {
		many[i] = "g"
	}
	tests := []struct {
		name             string
		claims           map[string]any
		username, groups string
		want             Identity
		wantErr          error
		wantField        string
	}{
		{name: "defaults", claims: map[string]any{"sub": "u1", "preferred_username": "alice", "email": "a@x", "name": "Alice", "groups": []any{"b", "a", "b"}},
			want: Identity{Subject: "u1", Username: "alice", Email: "a@x", Name: "Alice", Groups: []string{"a", "b"}}},
		{name: "username falls back to email", claims: map[string]any{"sub": "u1", "email": "a@x"},
			want: Identity{Subject: "u1", Username: "a@x", Email: "a@x"}},
		{name: "username falls back to sub", claims: map[string]any{"sub": "u1"}, want: Identity{Subject: "u1", Username: "u1"}},
		{name: "configured username claim", claims: map[string]any{"sub": "u1", "upn": "alice@corp", "preferred_username": "x"}, username: "upn",
			want: Identity{Subject: "u1", Username: "alice@corp"}},
		{name: "configured username claim missing", claims: map[string]any{"sub": "u1"}, username: "upn", wantErr: ErrBadClaim, wantField: "upn"},
		{name: "configured groups claim", claims: map[string]any{"sub": "u1", "roles": []any{"ops"}, "groups": []any{"ignored"}}, groups: "roles",
			want: Identity{Subject: "u1", Username: "u1", Groups: []string{"ops"}}},
		{name: "one group as a string", claims: map[string]any{"sub": "u1", "groups": "ops"}, want: Identity{Subject: "u1", Username: "u1", Groups: []string{"ops"}}},
		{name: "no sub", claims: map[string]any{"email": "a@x"}, wantErr: ErrBadClaim, wantField: "sub"},
		{name: "sub not a string", claims: map[string]any{"sub": 7.0}, wantErr: ErrBadClaim, wantField: "sub"},
		{name: "groups an object", claims: map[string]any{"sub": "u1", "groups": map[string]any{"a": 1}}, wantErr: ErrBadClaim, wantField: "groups"},
		{name: "group not a string", claims: map[string]any{"sub": "u1", "groups": []any{"a", 1.0}}, wantErr: ErrBadClaim, wantField: "groups"},
		{name: "empty group", claims: map[string]any{"sub": "u1", "groups": []any{""}}, wantErr: ErrBadClaim, wantField: "groups"},
		{name: "too many groups", claims: map[string]any{"sub": "u1", "groups": many}, wantErr: ErrBadClaim, wantField: "groups"},
		{name: "email too long", claims: map[string]any{"sub": "u1", "email": strings.Repeat("e", MaxClaimLen+1)}, wantErr: ErrBadClaim, wantField: "email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MapClaims(tt.claims, tt.username, tt.groups)
			if tt.wantErr != nil {
				var e *Error
				if !errors.Is(err, tt.wantErr) || !errors.As(err, &e) || e.Field != tt.wantField {
					t.Fatalf("err = %v, want %v on field %q", err, tt.wantErr, tt.wantField)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Subject != tt.want.Subject || got.Username != tt.want.Username || got.Email != tt.want.Email ||
				got.Name != tt.want.Name || !slices.Equal(got.Groups, tt.want.Groups) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
