package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestConflicts checks each uniqueness rule, and that the error says which
// thing collided.
func TestConflicts(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		alice, shop, prod := mustUser(t, s, "alice"), mustWorkspace(t, s, "shop"), mustCluster(t, s, "prod")
		later := time.Now().Add(time.Hour)
		if _, err := s.CreateSession(ctx, Session{ID: "sid", UserID: alice.ID, ExpiresAt: later}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateAPIToken(ctx, APIToken{UserID: alice.ID, Name: "ci", Prefix: "p", Hash: "h"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateBinding(ctx, Binding{WorkspaceID: shop.ID, ClusterID: prod.ID, Namespace: "web"}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			resource string
			create   func(context.Context) error
		}{
			{"user", func(ctx context.Context) error { return ignore(s.CreateUser(ctx, User{Username: "alice"})) }},
			{"workspace", func(ctx context.Context) error { return ignore(s.CreateWorkspace(ctx, Workspace{Name: "shop"})) }},
			{"cluster", func(ctx context.Context) error {
				return ignore(s.CreateCluster(ctx, Cluster{Name: "prod", SealedKubeconfig: []byte{1}}))
			}},
			{"session", func(ctx context.Context) error {
				return ignore(s.CreateSession(ctx, Session{ID: "sid", UserID: alice.ID, ExpiresAt: later}))
			}},
			{"API token", func(ctx context.Context) error { // same name
				return ignore(s.CreateAPIToken(ctx, APIToken{UserID: alice.ID, Name: "ci", Prefix: "p", Hash: "h2"}))
			}},
			{"API token", func(ctx context.Context) error { // same hash
				return ignore(s.CreateAPIToken(ctx, APIToken{UserID: alice.ID, Name: "other", Prefix: "p", Hash: "h"}))
			}},
			{"binding", func(ctx context.Context) error {
				return ignore(s.CreateBinding(ctx, Binding{WorkspaceID: shop.ID, ClusterID: prod.ID, Namespace: "web"}))
			}},
		}
		for _, tt := range tests {
			t.Run(tt.resource, func(t *testing.T) {
				err := tt.create(ctx)
				var ce *ConflictError
				if !errors.Is(err, ErrConflict) || !errors.As(err, &ce) || ce.Resource != tt.resource {
					t.Fatalf("got %v, want a *ConflictError for resource %q", err, tt.resource)
				}
			})
		}
	})
}

// TestNotFound checks that every lookup and change of a missing row returns
// ErrNotFound (never a zero value and nil), naming the missing resource.
func TestNotFound(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		const missing = 4242
		alice := mustUser(t, s, "alice")
		shop, prod := mustWorkspace(t, s, "shop"), mustCluster(t, s, "prod")
		tests := []struct {
			name     string
			resource string
			call     func(context.Context) error
		}{
			{"GetUser", "user", func(ctx context.Context) error { return ignore(s.GetUser(ctx, missing)) }},
			{"GetUserByName", "user", func(ctx context.Context) error { return ignore(s.GetUserByName(ctx, "nobody")) }},
			{"SetPassword", "user", func(ctx context.Context) error { return s.SetPassword(ctx, missing, "h") }},
			{"GetSession", "session", func(ctx context.Context) error { return ignore(s.GetSession(ctx, "nope")) }},
			{"TouchSession", "session", func(ctx context.Context) error { return s.TouchSession(ctx, "nope", time.Now()) }},
			{"DeleteSession", "session", func(ctx context.Context) error { return s.DeleteSession(ctx, "nope") }},
			{"CreateSession for a missing user", "user", func(ctx context.Context) error {
				return ignore(s.CreateSession(ctx, Session{ID: "x", UserID: missing, ExpiresAt: time.Now().Add(time.Hour)}))
			}},
			{"GetAPITokenByHash", "API token", func(ctx context.Context) error { return ignore(s.GetAPITokenByHash(ctx, "nope")) }},
			{"RevokeAPIToken", "API token", func(ctx context.Context) error { return s.RevokeAPIToken(ctx, alice.ID, missing) }},
			{"TouchAPIToken", "API token", func(ctx context.Context) error { return s.TouchAPIToken(ctx, missing) }},
			{"CreateAPIToken for a missing user", "user", func(ctx context.Context) error {
				return ignore(s.CreateAPIToken(ctx, APIToken{UserID: missing, Name: "n", Prefix: "p", Hash: "h"}))
			}},
			{"GetWorkspace", "workspace", func(ctx context.Context) error { return ignore(s.GetWorkspace(ctx, missing)) }},
			{"GetWorkspaceByName", "workspace", func(ctx context.Context) error { return ignore(s.GetWorkspaceByName(ctx, "nope")) }},
			{"DeleteWorkspace", "workspace", func(ctx context.Context) error { return s.DeleteWorkspace(ctx, missing) }},
			{"GetMember", "member", func(ctx context.Context) error { return ignore(s.GetMember(ctx, shop.ID, alice.ID)) }},
			{"DeleteMember", "member", func(ctx context.Context) error { return s.DeleteMember(ctx, shop.ID, alice.ID) }},
			{"GetCluster", "cluster", func(ctx context.Context) error { return ignore(s.GetCluster(ctx, missing)) }},
			{"GetClusterByName", "cluster", func(ctx context.Context) error { return ignore(s.GetClusterByName(ctx, "nope")) }},
			{"UpdateClusterStatus", "cluster", func(ctx context.Context) error { return s.UpdateClusterStatus(ctx, missing, ClusterStatus{}) }},
			{"DeleteCluster", "cluster", func(ctx context.Context) error { return s.DeleteCluster(ctx, missing) }},
			{"GetBinding", "binding", func(ctx context.Context) error { return ignore(s.GetBinding(ctx, shop.ID, missing)) }},
			{"DeleteBinding", "binding", func(ctx context.Context) error { return s.DeleteBinding(ctx, shop.ID, missing) }},
			{"CreateBinding to a missing cluster", "workspace or cluster", func(ctx context.Context) error {
				return ignore(s.CreateBinding(ctx, Binding{WorkspaceID: shop.ID, ClusterID: missing, Namespace: "n"}))
			}},
			{"CreateBinding in a missing workspace", "workspace or cluster", func(ctx context.Context) error {
				return ignore(s.CreateBinding(ctx, Binding{WorkspaceID: missing, ClusterID: prod.ID, Namespace: "n"}))
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := tt.call(t.Context())
				var nf *NotFoundError
				if !errors.Is(err, ErrNotFound) || !errors.As(err, &nf) || nf.Resource != tt.resource {
					t.Fatalf("got %v, want a *NotFoundError for resource %q", err, tt.resource)
				}
			})
		}
	})
}

// TestInvalid checks the arguments the store refuses before touching the database.
func TestInvalid(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		tests := []struct {
			name  string
			field string
			call  func(context.Context) error
		}{
			{"user without name", "username", func(ctx context.Context) error { return ignore(s.CreateUser(ctx, User{})) }},
			{"workspace without name", "name", func(ctx context.Context) error { return ignore(s.CreateWorkspace(ctx, Workspace{})) }},
			{"cluster without name", "name", func(ctx context.Context) error {
				return ignore(s.CreateCluster(ctx, Cluster{SealedKubeconfig: []byte{1}}))
			}},
			{"cluster without kubeconfig", "kubeconfig", func(ctx context.Context) error { return ignore(s.CreateCluster(ctx, Cluster{Name: "c"})) }},
			{"session without ID", "session ID", func(ctx context.Context) error { return ignore(s.CreateSession(ctx, Session{})) }},
			{"token without hash", "hash", func(ctx context.Context) error {
				return ignore(s.CreateAPIToken(ctx, APIToken{Name: "n", Prefix: "p"}))
			}},
			{"binding without namespace", "namespace", func(ctx context.Context) error { return ignore(s.CreateBinding(ctx, Binding{})) }},
			{"member with unknown role", "role", func(ctx context.Context) error { return ignore(s.PutMember(ctx, Member{Role: "root"})) }},
			{"audit with unknown outcome", "outcome", func(ctx context.Context) error { return ignore(s.AppendAudit(ctx, AuditEvent{})) }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := tt.call(t.Context())
				var ve *ValidationError
				if !errors.Is(err, ErrInvalid) || !errors.As(err, &ve) || ve.Field != tt.field {
					t.Fatalf("got %v, want a *ValidationError for field %q", err, tt.field)
				}
			})
		}
	})
}

// ignore drops a result, keeping the error.
func ignore[T any](_ T, err error) error { return err }
