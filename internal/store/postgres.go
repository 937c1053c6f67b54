package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgreSQL error codes (SQLSTATE) the store maps to its own errors.
const (
	pgUniqueViolation     = "23505"
	pgForeignKeyViolation = "23503"
)

// migrationLockKey identifies Switchyard's migration lock among the
// database's advisory locks. Any constant works; this one spells "swyd-mig".
const migrationLockKey int64 = 0x737779642d6d6967

// postgresDialect shares one database between several server replicas.
type postgresDialect struct {
	url string
}

func (d *postgresDialect) name() string { return "postgres" }

// open connects through pgx's database/sql adapter. The pool is capped so
// that several replicas stay well below the server's max_connections.
func (d *postgresDialect) open(ctx context.Context, logger *slog.Logger) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(d.url) // the error, if any, has the password redacted
	if err != nil {
		return nil, err
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s:%d/%s: %w", cfg.Host, cfg.Port, cfg.Database, err)
	}
	logger.Info("store opened", "dialect", d.name(), "host", cfg.Host, "port", cfg.Port, "database", cfg.Database)
	return db, nil
}

func (d *postgresDialect) rebind(query string) string { return rebindDollar(query) }

func (d *postgresDialect) isUniqueViolation(err error) bool {
	return pgCode(err) == pgUniqueViolation
}

func (d *postgresDialect) isForeignKeyViolation(err error) bool {
	return pgCode(err) == pgForeignKeyViolation
}

// lockMigrations takes a transaction-scoped advisory lock, so replicas
// starting at once migrate one after the other; the lock is released when tx
// ends, even if the process dies.
func (d *postgresDialect) lockMigrations(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLockKey); err != nil {
		return fmt.Errorf("take migration lock: %w", err)
	}
	return nil
}

func (d *postgresDialect) forUpdate() string { return " FOR UPDATE" }

func (d *postgresDialect) migrationsTable() string {
	return `CREATE TABLE IF NOT EXISTS schema_migrations (
	version INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	applied_at TIMESTAMPTZ NOT NULL
)`
}

// pgCode returns the SQLSTATE of a PostgreSQL error, or "".
func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
