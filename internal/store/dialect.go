package store

import (
	"context"
	"database/sql"
	"log/slog"
	"strconv"
	"strings"
)

// dialect is what differs between SQLite and PostgreSQL. Everything else in
// the package is shared SQL; keep this list short.
type dialect interface {
	// name is "sqlite" or "postgres", as reported by Store.Dialect.
	name() string
	// open connects and configures the connection pool.
	open(ctx context.Context, logger *slog.Logger) (*sql.DB, error)
	// rebind turns the ? placeholders of a shared query into the dialect's.
	rebind(query string) string
	// isUniqueViolation reports whether err is a UNIQUE or PRIMARY KEY violation.
	isUniqueViolation(err error) bool
	// isForeignKeyViolation reports whether err is a FOREIGN KEY violation.
	isForeignKeyViolation(err error) bool
	// lockMigrations serialises migrations between processes sharing the
	// database, for the duration of tx.
	lockMigrations(ctx context.Context, tx *sql.Tx) error
	// migrationsTable is the DDL creating schema_migrations if it is missing.
	migrationsTable() string
	// forUpdate is the clause that makes a SELECT in a transaction lock the
	// rows it reads until the transaction ends (PostgreSQL's FOR UPDATE).
	// SQLite needs none: with _txlock=immediate a transaction holds the
	// database's single write lock from BEGIN.
	forUpdate() string
}

// rebindDollar rewrites ? placeholders as $1, $2, …. The shared queries never
// contain a literal question mark, so no quoting rules are needed.
func rebindDollar(query string) string {
	n := strings.Count(query, "?")
	if n == 0 {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 2*n)
	i := 0
	for _, r := range query {
		if r != '?' {
			b.WriteRune(r)
			continue
		}
		i++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(i))
	}
	return b.String()
}
