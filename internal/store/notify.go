package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/stdlib"
)

// jobChannel is the PostgreSQL notification channel of job changes.
const jobChannel = "switchyard_job_changes"

// JobChange says that a job record in a cluster's namespace changed.
type JobChange struct {
	ClusterID int64
	Namespace string
}

// NotifyJobChange tells every replica sharing the database that a job in
// clusterID/namespace changed (PostgreSQL NOTIFY). With SQLite, which one
// process owns, it does nothing: that process published the change itself.
func (s *Store) NotifyJobChange(ctx context.Context, c JobChange) error {
	if s.d.name() != "postgres" {
		return nil
	}
	payload := strconv.FormatInt(c.ClusterID, 10) + "/" + c.Namespace
	if _, err := s.db.ExecContext(ctx, "SELECT pg_notify($1, $2)", jobChannel, payload); err != nil {
		return fmt.Errorf("notify job change: %w", err)
	}
	return nil
}

// ListenJobChanges calls fn for each job change any replica notifies, until
// ctx ends (it then returns ctx's error) or the connection fails (callers
// retry). With SQLite it only waits for ctx: there are no other replicas.
// ready, when not nil, is called once the listener is in place.
func (s *Store) ListenJobChanges(ctx context.Context, ready func(), fn func(JobChange)) error {
	if s.d.name() != "postgres" {
		if ready != nil {
			ready()
		}
		<-ctx.Done()
		return ctx.Err()
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("listen for job changes: %w", err)
	}
	// The connection held LISTEN: never hand it back to the pool.
	defer func() { _ = conn.Raw(func(any) error { return driver.ErrBadConn }); conn.Close() }()
	return conn.Raw(func(dc any) error {
		pc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("listen for job changes: unexpected driver connection %T", dc)
		}
		c := pc.Conn()
		if _, err := c.Exec(ctx, "LISTEN "+jobChannel); err != nil {
			return fmt.Errorf("listen for job changes: %w", err)
		}
		if ready != nil {
			ready()
		}
		for {
			n, err := c.WaitForNotification(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return fmt.Errorf("wait for job changes: %w", err)
			}
			id, ns, ok := strings.Cut(n.Payload, "/")
			cid, perr := strconv.ParseInt(id, 10, 64)
			if !ok || perr != nil {
				continue // not ours
			}
			fn(JobChange{ClusterID: cid, Namespace: ns})
		}
	})
}
