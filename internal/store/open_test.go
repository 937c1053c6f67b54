package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestOpenOptions(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		dialect string // "" means Open must fail
	}{
		{"nothing", Options{}, ""},
		{"unknown scheme", Options{DatabaseURL: "mysql://localhost/db"}, ""},
		{"bare host", Options{DatabaseURL: "localhost:5432"}, ""},
		{"data dir", Options{DataDir: "x"}, "sqlite"},
		{"postgres url", Options{DatabaseURL: "postgres://u@h/db"}, "postgres"},
		{"postgresql url", Options{DataDir: "x", DatabaseURL: "postgresql://u@h/db"}, "postgres"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := newDialect(tt.opts)
			switch {
			case tt.dialect == "" && err == nil:
				t.Fatalf("newDialect(%+v) = %s, want an error", tt.opts, d.name())
			case tt.dialect != "" && err != nil:
				t.Fatalf("newDialect(%+v): got error %v, want %s", tt.opts, err, tt.dialect)
			case tt.dialect != "" && d.name() != tt.dialect:
				t.Fatalf("newDialect(%+v) = %s, want %s", tt.opts, d.name(), tt.dialect)
			}
		})
	}
}

// TestOpenUnreachable checks that a failed connection is an error that does
// not reveal the password.
func TestOpenUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	s, err := Open(ctx, Options{DatabaseURL: "postgres://switchyard:s3cret@127.0.0.1:1/switchyard?connect_timeout=5"}, nil)
	if err == nil {
		s.Close()
		t.Fatal("Open on a closed port: got no error, want one")
	}
	t.Logf("Open error: %v", err)
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("Open error = %q, want it without the password", err)
	}
}

func TestOpen(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		if got := s.Dialect(); got != db.kind() {
			t.Errorf("Dialect() = %q, want %q", got, db.kind())
		}
		if err := s.Ping(t.Context()); err != nil {
			t.Errorf("Ping: %v", err)
		}
		if db.kind() == "sqlite" {
			checkSQLitePragmas(t, s)
		}
	})
}

// checkSQLitePragmas checks the settings every SQLite connection must have.
func checkSQLitePragmas(t *testing.T, s *Store) {
	t.Helper()
	for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "10000"} {
		var got string
		if err := s.db.QueryRowContext(t.Context(), "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", pragma, err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %q, want %q", pragma, got, want)
		}
	}
}

func TestSQLiteFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data")
	s := testDB{opts: Options{DataDir: dir}}.open(t)
	mustUser(t, s, "alice")
	if _, err := os.Stat(filepath.Join(dir, "switchyard.db")); err != nil {
		t.Fatalf("database file: got %v, want %s/switchyard.db to exist", err, dir)
	}
}

// TestOpenTwice opens the same database again: migrations already applied
// are skipped and data survives.
func TestOpenTwice(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db testDB) {
		first := db.open(t)
		alice := mustUser(t, first, "alice")
		if err := first.Close(); err != nil {
			t.Fatal(err)
		}
		second := db.open(t)
		got, err := second.GetUser(t.Context(), alice.ID)
		if err != nil {
			t.Fatalf("GetUser after reopening: %v", err)
		}
		if got != alice {
			t.Errorf("GetUser after reopening = %+v, want %+v", got, alice)
		}
		checkAppliedMigrations(t, second)
	})
}

// TestOpenConcurrently starts several "replicas" on one empty database at
// once: exactly one applies each migration and all of them open.
func TestOpenConcurrently(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db testDB) {
		const replicas = 4
		var wg sync.WaitGroup
		errs := make([]error, replicas)
		for i := range replicas {
			wg.Go(func() {
				s, err := Open(t.Context(), db.opts, nil)
				if err == nil {
					err = s.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("concurrent Open: got %v, want no error", err)
		}
		checkAppliedMigrations(t, db.open(t))
	})
}

// checkAppliedMigrations checks schema_migrations lists each migration once.
func checkAppliedMigrations(t *testing.T, s *Store) {
	t.Helper()
	ms, err := loadMigrations(s.Dialect())
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, m := range ms {
		want = append(want, m.name)
	}
	rows, err := s.query(t.Context(), "SELECT name FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	got, err := scanAll(rows, func(r rowScanner) (string, error) {
		var n string
		return n, r.Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("schema_migrations = %q, want %q", got, want)
	}
}

// TestMigrationsMatch keeps the two dialects' schemas in step: the same
// versions with the same names.
func TestMigrationsMatch(t *testing.T) {
	sqlite, err := loadMigrations("sqlite")
	if err != nil {
		t.Fatal(err)
	}
	postgres, err := loadMigrations("postgres")
	if err != nil {
		t.Fatal(err)
	}
	if len(sqlite) == 0 {
		t.Fatal("no migrations found")
	}
	got := names(postgres, func(m migration) string { return m.name })
	want := names(sqlite, func(m migration) string { return m.name })
	if got != want {
		t.Errorf("postgres migrations = %s, want the same as sqlite: %s", got, want)
	}
}

func TestMigrationVersion(t *testing.T) {
	tests := []struct {
		file string
		want int // 0 means an error
	}{
		{"0001_init.sql", 1},
		{"0042_add_jobs.sql", 42},
		{"7_short.sql", 7},
		{"init.sql", 0},
		{"0001_init.txt", 0},
		{"0000_zero.sql", 0},
		{"-1_negative.sql", 0},
	}
	for _, tt := range tests {
		got, err := migrationVersion(tt.file)
		if tt.want == 0 && err == nil {
			t.Errorf("migrationVersion(%q) = %d, want an error", tt.file, got)
		}
		if tt.want != 0 && (err != nil || got != tt.want) {
			t.Errorf("migrationVersion(%q) = %d, %v; want %d", tt.file, got, err, tt.want)
		}
	}
}

func TestRebindDollar(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT * FROM t WHERE a = ?", "SELECT * FROM t WHERE a = $1"},
		{"INSERT INTO t (a, b, c) VALUES (?, ?, ?)", "INSERT INTO t (a, b, c) VALUES ($1, $2, $3)"},
		{"WHERE é = ? AND x = ?", "WHERE é = $1 AND x = $2"},
	}
	for _, tt := range tests {
		if got := rebindDollar(tt.in); got != tt.want {
			t.Errorf("rebindDollar(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
