package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// migrationFiles holds the schema, one directory per dialect. Files are named
// NNNN_description.sql; NNNN is the version. Both directories must have the
// same versions (a test checks it). Never edit an applied migration: add one.
//
//go:embed migrations
var migrationFiles embed.FS

// migration is one versioned schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the migrations of one dialect, sorted by version.
func loadMigrations(dialectName string) ([]migration, error) {
	dir := path.Join("migrations", dialectName)
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("%s: no migrations", dir)
	}
	var ms []migration
	for _, e := range entries {
		m, err := parseMigration(dir, e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("%s: two migrations with version %d", dir, ms[i].version)
		}
	}
	return ms, nil
}

// parseMigration reads dir/file, taking the version from the file name.
func parseMigration(dir, file string) (migration, error) {
	v, err := migrationVersion(file)
	if err != nil {
		return migration{}, fmt.Errorf("%s/%s: %w", dir, file, err)
	}
	body, err := fs.ReadFile(migrationFiles, path.Join(dir, file))
	if err != nil {
		return migration{}, err
	}
	return migration{version: v, name: strings.TrimSuffix(file, ".sql"), sql: string(body)}, nil
}

// migrationVersion returns the version NNNN of a file named NNNN_description.sql.
func migrationVersion(file string) (int, error) {
	name, ok := strings.CutSuffix(file, ".sql")
	prefix, _, _ := strings.Cut(name, "_")
	v, err := strconv.Atoi(prefix)
	if !ok || err != nil || v <= 0 {
		return 0, errors.New("want a name like 0001_description.sql")
	}
	return v, nil
}

// migrate applies the pending migrations in one transaction, so a failure
// leaves the schema as it was. The dialect's lock keeps replicas that start
// together from applying the same migration twice.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations(s.d.name())
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := s.d.lockMigrations(ctx, tx); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.d.migrationsTable()); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	applied, err := appliedVersions(ctx, tx)
	if err != nil {
		return err
	}
	if newest := ms[len(ms)-1].version; maxVersion(applied) > newest {
		// An older replica during a rolling upgrade: the schema is ahead of
		// this binary. Each migration must keep the previous release working,
		// so this replica carries on.
		s.logger.Warn("store schema is newer than this binary", "dialect", s.d.name(),
			"schema_version", maxVersion(applied), "binary_version", newest)
	}
	for _, m := range ms {
		if applied[m.version] {
			continue
		}
		if err := s.apply(ctx, tx, m); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// apply runs one migration inside tx and records it.
func (s *Store) apply(ctx context.Context, tx *sql.Tx, m migration) error {
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("apply migration %s: %w", m.name, err)
	}
	_, err := tx.ExecContext(ctx, s.d.rebind("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"),
		m.version, m.name, dbTime(s.now()))
	if err != nil {
		return fmt.Errorf("record migration %s: %w", m.name, err)
	}
	s.logger.Info("store migration applied", "dialect", s.d.name(), "version", m.version, "name", m.name)
	return nil
}

// maxVersion returns the highest applied version, or 0.
func maxVersion(applied map[int]bool) int {
	highest := 0
	for v := range applied {
		highest = max(highest, v)
	}
	return highest
}

// appliedVersions lists the versions recorded in schema_migrations.
func appliedVersions(ctx context.Context, tx *sql.Tx) (map[int]bool, error) {
	rows, err := tx.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	applied := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		applied[v] = true
	}
	return applied, rows.Err()
}
