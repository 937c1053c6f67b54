package store

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/testenv"
)

// testDB is an empty database of one dialect, removed when the test ends.
type testDB struct {
	opts Options
}

// open opens a Store on the database and closes it when the test ends.
func (d testDB) open(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), d.opts, nil)
	if err != nil {
		t.Fatalf("Open(%s): %v", d.kind(), err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func (d testDB) kind() string {
	if d.opts.DatabaseURL != "" {
		return "postgres"
	}
	return "sqlite"
}

// forEachDialect runs fn as a parallel subtest per dialect, each with a
// fresh empty database: the whole suite is shared by SQLite and PostgreSQL.
func forEachDialect(t *testing.T, fn func(t *testing.T, db testDB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, testDB{opts: Options{DataDir: t.TempDir()}})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, testDB{opts: Options{DatabaseURL: testenv.PostgresDatabase(t)}})
	})
}

// openEach is forEachDialect for tests that need just one open store.
func openEach(t *testing.T, fn func(t *testing.T, s *Store)) {
	t.Helper()
	forEachDialect(t, func(t *testing.T, db testDB) { fn(t, db.open(t)) })
}

// fixedClock makes the store's clock return *now; tests move it by
// assigning to *now.
func fixedClock(s *Store, now *time.Time) { s.now = func() time.Time { return *now } }

// testTime is a time with nanoseconds and a non-UTC zone, to show the store
// normalises both.
var testTime = time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.FixedZone("CET", 3600))

// wantTime is what the store makes of testTime.
var wantTime = time.Date(2025, 3, 4, 4, 6, 7, 123456000, time.UTC)

// checkErr fails unless err matches want (nil means no error).
func checkErr(t *testing.T, what string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("%s: got error %v, want none", what, err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

// mustUser creates a user named name.
func mustUser(t *testing.T, s *Store, name string) User {
	t.Helper()
	u, err := s.CreateUser(t.Context(), User{Username: name, PasswordHash: "hash-" + name})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// mustWorkspace creates a workspace named name.
func mustWorkspace(t *testing.T, s *Store, name string) Workspace {
	t.Helper()
	w, err := s.CreateWorkspace(t.Context(), Workspace{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// mustCluster creates a cluster named name.
func mustCluster(t *testing.T, s *Store, name string) Cluster {
	t.Helper()
	c, err := s.CreateCluster(t.Context(), Cluster{Name: name, SealedKubeconfig: []byte("sealed-" + name)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// names returns the result of name for each element, for comparing lists.
func names[T any](xs []T, name func(T) string) string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = name(x)
	}
	return fmt.Sprint(out)
}
