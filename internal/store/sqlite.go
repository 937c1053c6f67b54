package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteFile is the database file name inside Options.DataDir.
const sqliteFile = "switchyard.db"

// sqliteDialect is the embedded default: one file, pure Go (no cgo).
type sqliteDialect struct {
	dataDir string
}

func (d *sqliteDialect) name() string { return "sqlite" }

// dsn configures every pooled connection:
//   - busy_timeout makes a writer wait for the lock instead of failing at once;
//   - foreign_keys is off by default in SQLite and the schema relies on it;
//   - synchronous=NORMAL is safe with WAL: a crash of the process loses
//     nothing, a power loss at most the last transactions;
//   - _txlock=immediate takes the write lock at BEGIN, so two transactions
//     never deadlock upgrading read locks (which busy_timeout cannot resolve);
//   - times are written as "2006-01-02 15:04:05.999999-07:00" in UTC, a format
//     that sorts correctly as text and that the driver parses back for columns
//     declared TIMESTAMP.
func (d *sqliteDialect) dsn() string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	q.Set("_timezone", "UTC")
	u := url.URL{Scheme: "file", OmitHost: true, Path: filepath.Join(d.dataDir, sqliteFile), RawQuery: q.Encode()}
	return u.String()
}

func (d *sqliteDialect) open(ctx context.Context, logger *slog.Logger) (*sql.DB, error) {
	if err := os.MkdirAll(d.dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", d.dataDir, err)
	}
	if err := d.secureFiles(logger); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", d.dsn())
	if err != nil {
		return nil, err
	}
	if err := enableWAL(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	logger.Info("store opened", "dialect", d.name(), "path", filepath.Join(d.dataDir, sqliteFile))
	return db, nil
}

// secureFiles makes the database file, and its WAL and shared-memory files
// if present, readable by the server's user only (0600): they hold password
// hashes and sealed kubeconfigs. A missing database file is created 0600
// first, since SQLite gives the WAL and -shm files it creates later the
// mode of the database file. A looser mode found is fixed, and logged.
func (d *sqliteDialect) secureFiles(logger *slog.Logger) error {
	db := filepath.Join(d.dataDir, sqliteFile)
	f, err := os.OpenFile(db, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open database file: %w", err)
	}
	f.Close()
	for _, path := range []string{db, db + "-wal", db + "-shm"} {
		fi, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("database file: %w", err)
		}
		if mode := fi.Mode().Perm(); mode&0o077 != 0 {
			if err := os.Chmod(path, 0o600); err != nil {
				return fmt.Errorf("database file %s has mode %04o and can't be made 0600: %w", path, mode, err)
			}
			logger.Warn("database file was readable by others: made it 0600", "path", path, "was", fmt.Sprintf("%04o", mode))
		}
	}
	return nil
}

// enableWAL switches the file to write-ahead logging, which lets readers
// proceed while one writer writes. The mode is stored in the file, so once
// is enough. The switch needs an exclusive lock and SQLite does not always
// call the busy handler for it (while another connection is setting up the
// same new file, say), so it is retried here.
func enableWAL(ctx context.Context, db *sql.DB) error {
	const attempts = 100
	for i := 1; ; i++ {
		var mode string
		err := db.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode)
		switch {
		case err == nil && mode != "wal":
			return fmt.Errorf("enable WAL: journal mode is still %q", mode)
		case err == nil:
			return nil
		case sqliteCode(err)&0xff != sqlite3.SQLITE_BUSY || i == attempts:
			return fmt.Errorf("enable WAL: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("enable WAL: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (d *sqliteDialect) rebind(query string) string { return query }

func (d *sqliteDialect) isUniqueViolation(err error) bool {
	code := sqliteCode(err)
	return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

func (d *sqliteDialect) isForeignKeyViolation(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// lockMigrations needs no statement: with _txlock=immediate the migration
// transaction already holds SQLite's single write lock.
func (d *sqliteDialect) lockMigrations(context.Context, *sql.Tx) error { return nil }

func (d *sqliteDialect) forUpdate() string { return "" }

func (d *sqliteDialect) migrationsTable() string {
	return `CREATE TABLE IF NOT EXISTS schema_migrations (
	version INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	applied_at TIMESTAMP NOT NULL
)`
}

// sqliteCode returns the extended result code of a SQLite error, or 0.
func sqliteCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}
