// Package store is Switchyard's durable store: users, sessions, API tokens,
// workspaces and their members, clusters and the namespaces bound to
// workspaces, and the audit log.
//
// One implementation runs over database/sql with two dialects: an embedded
// SQLite file (the default, a single <DataDir>/switchyard.db) and PostgreSQL
// (when Options.DatabaseURL is a postgres:// URL), which lets several server
// replicas share one database. The schema is created and upgraded by versioned
// migrations embedded in the binary and applied by Open.
//
// The SQL is written once, in the common subset of both dialects: `?`
// placeholders (rebound to $1, $2, … for PostgreSQL), `RETURNING id` for new
// IDs and `ON CONFLICT … DO UPDATE` for upserts work unchanged in both. What
// differs lives in sqlite.go and postgres.go: how to connect, the placeholder
// style, how constraint violations are recognised, how migrations are
// serialised between processes, and the DDL under migrations/<dialect>/.
//
// All times are stored in UTC with microsecond precision (PostgreSQL's), so a
// value read back equals the value written after t.UTC().Truncate(time.Microsecond).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Options say where the store keeps its data.
type Options struct {
	// DataDir holds the SQLite database file switchyard.db. It is created if
	// missing. Unused with PostgreSQL.
	DataDir string
	// DatabaseURL, when set, is a postgres:// (or postgresql://) URL; the store
	// then uses that PostgreSQL database instead of SQLite.
	DatabaseURL string
}

// Store is the durable store. It is safe for concurrent use.
type Store struct {
	db     *sql.DB
	d      dialect
	logger *slog.Logger
	// now is the clock used for CreatedAt, expiry checks and touches; tests replace it.
	now func() time.Time
}

// Open connects to the database Options name, applies pending migrations and
// returns the store. A nil logger discards logs. Errors from Open are usually
// configuration or connectivity problems; connectivity ones are worth retrying.
func Open(ctx context.Context, opts Options, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	d, err := newDialect(opts)
	if err != nil {
		return nil, err
	}
	db, err := d.open(ctx, logger)
	if err != nil {
		return nil, fmt.Errorf("open %s store: %w", d.name(), err)
	}
	s := &Store{db: db, d: d, logger: logger, now: time.Now}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s store: %w", d.name(), err)
	}
	return s, nil
}

// newDialect picks the dialect from the options.
func newDialect(opts Options) (dialect, error) {
	switch u := opts.DatabaseURL; {
	case u == "":
		if opts.DataDir == "" {
			return nil, errors.New("open store: neither a data directory nor a database URL given")
		}
		return &sqliteDialect{dataDir: opts.DataDir}, nil
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return &postgresDialect{url: u}, nil
	default:
		return nil, errors.New("open store: database URL must start with postgres:// or postgresql://")
	}
}

// Close closes the database. Calls on a closed store fail.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close %s store: %w", s.d.name(), err)
	}
	return nil
}

// Ping checks that the database answers, for readiness probes. Failures are
// worth retrying.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s store: %w", s.d.name(), err)
	}
	return nil
}

// Dialect names the database in use: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.d.name() }

// exec runs a statement written with ? placeholders.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return s.db.ExecContext(ctx, s.d.rebind(query), args...)
}

// query runs a query written with ? placeholders.
func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return s.db.QueryContext(ctx, s.d.rebind(query), args...)
}

// queryRow runs a single-row query written with ? placeholders.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return s.db.QueryRowContext(ctx, s.d.rebind(query), args...)
}

// inTx runs fn in a transaction, committed when fn returns nil and rolled
// back otherwise. Use it where a check and the write it guards must not be
// split by another writer.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// execOne runs a statement expected to change exactly one row and returns
// notFound when it changed none.
func (s *Store) execOne(ctx context.Context, notFound error, query string, args ...any) error {
	res, err := s.exec(ctx, query, args...)
	return changedOne(res, err, notFound)
}

// execOneTx is execOne inside a transaction.
func (s *Store) execOneTx(ctx context.Context, tx *sql.Tx, notFound error, query string, args ...any) error {
	res, err := tx.ExecContext(ctx, s.d.rebind(query), args...)
	return changedOne(res, err, notFound)
}

// changedOne passes on the error of a statement expected to change exactly
// one row, or returns notFound when it changed none.
func changedOne(res sql.Result, err, notFound error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound
	}
	return nil
}

// constraint maps a driver constraint violation to the caller's error:
// onUnique for a uniqueness violation, onForeignKey for a reference to a
// missing row. A nil replacement, or any other error, leaves err unchanged.
func (s *Store) constraint(err, onUnique, onForeignKey error) error {
	switch {
	case onUnique != nil && s.d.isUniqueViolation(err):
		return onUnique
	case onForeignKey != nil && s.d.isForeignKeyViolation(err):
		return onForeignKey
	}
	return err
}

// rowScanner is what *sql.Row and *sql.Rows have in common.
type rowScanner interface {
	Scan(dest ...any) error
}

// scanAll reads every row with scan and closes rows. The slice is empty,
// not nil, when there are no rows, so it encodes as a JSON [].
func scanAll[T any](rows *sql.Rows, scan func(rowScanner) (T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// dbTime normalises a time for storage: UTC, microsecond precision.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// nullTime converts an optional time for storage.
func nullTime(t *time.Time) sql.Null[time.Time] {
	if t == nil {
		return sql.Null[time.Time]{}
	}
	return sql.Null[time.Time]{V: dbTime(*t), Valid: true}
}

// timePtr converts an optional time read from the database.
func timePtr(t sql.Null[time.Time]) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.V.UTC()
	return &u
}

// nullInt64 converts an optional ID for storage.
func nullInt64(v *int64) sql.Null[int64] {
	if v == nil {
		return sql.Null[int64]{}
	}
	return sql.Null[int64]{V: *v, Valid: true}
}

// int64Ptr converts an optional ID read from the database.
func int64Ptr(v sql.Null[int64]) *int64 {
	if !v.Valid {
		return nil
	}
	return &v.V
}
