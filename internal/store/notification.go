package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Notification formats: how a delivery's body is written.
const (
	FormatJSON  = "json"  // the generic JSON event
	FormatSlack = "slack" // a Slack-compatible incoming-webhook message {"text": …}
)

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed" // gave up after the last retry
)

// Attempt outcomes, as the delivery log shows them.
const (
	AttemptDelivered = "delivered"
	AttemptRetrying  = "retrying"
	AttemptFailed    = "failed"
)

// EventTest is the kind of the events a user sends to try a subscription.
const EventTest = "test"

// MaxAttemptsKept is how many attempts the delivery log keeps per subscription.
const MaxAttemptsKept = 50

// Subscription sends a workspace's job events of some kinds to a webhook URL.
type Subscription struct {
	ID          int64
	WorkspaceID int64
	URL         string
	Events      []string // event kinds
	Format      string   // FormatJSON or FormatSlack
	// SealedSecret is the signing secret encrypted by the caller; the store
	// never sees it in clear. Never log it.
	SealedSecret []byte
	CreatedBy    string
	CreatedAt    time.Time
}

const subscriptionColumns = "id, workspace_id, url, events, format, sealed_secret, created_by, created_at"

func scanSubscription(r rowScanner) (Subscription, error) {
	var s Subscription
	var events string
	err := r.Scan(&s.ID, &s.WorkspaceID, &s.URL, &events, &s.Format, &s.SealedSecret, &s.CreatedBy, &s.CreatedAt)
	s.Events, s.CreatedAt = splitEvents(events), s.CreatedAt.UTC()
	return s, err
}

func splitEvents(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// CreateSubscription stores a subscription and returns it with ID and
// CreatedAt set. A workspace holds at most max subscriptions: one more is a
// *ValidationError on "url". The count and the insert are one transaction
// holding the workspace's row, so two creations can't both take the last place.
func (s *Store) CreateSubscription(ctx context.Context, sub Subscription, max int) (Subscription, error) {
	var sealed error
	if len(sub.SealedSecret) == 0 {
		sealed = &ValidationError{Field: "secret", Problem: "must not be empty"}
	}
	if err := errors.Join(required("url", sub.URL), sealed); err != nil {
		return Subscription{}, fmt.Errorf("create subscription: %w", err)
	}
	sub.CreatedAt = dbTime(s.now())
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, s.d.rebind("SELECT id FROM workspaces WHERE id = ?"+s.d.forUpdate()), sub.WorkspaceID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("workspace", sub.WorkspaceID)
		}
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, s.d.rebind("SELECT COUNT(*) FROM notification_subscriptions WHERE workspace_id = ?"),
			sub.WorkspaceID).Scan(&n); err != nil {
			return err
		}
		if n >= max {
			return &ValidationError{Field: "url", Problem: fmt.Sprintf("the workspace has %d notifications, the most it may have: remove one first", n)}
		}
		return tx.QueryRowContext(ctx, s.d.rebind(
			"INSERT INTO notification_subscriptions (workspace_id, url, events, format, sealed_secret, created_by, created_at)"+
				" VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id"),
			sub.WorkspaceID, sub.URL, strings.Join(sub.Events, ","), sub.Format, sub.SealedSecret, sub.CreatedBy, sub.CreatedAt).Scan(&sub.ID)
	})
	if err != nil {
		return Subscription{}, fmt.Errorf("create subscription: %w", err)
	}
	return sub, nil
}

// CountSubscriptions returns how many subscriptions a workspace has.
func (s *Store) CountSubscriptions(ctx context.Context, workspaceID int64) (int, error) {
	var n int
	if err := s.queryRow(ctx, "SELECT COUNT(*) FROM notification_subscriptions WHERE workspace_id = ?", workspaceID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count subscriptions: %w", err)
	}
	return n, nil
}

// GetSubscription returns a workspace's subscription by ID.
func (s *Store) GetSubscription(ctx context.Context, workspaceID, id int64) (Subscription, error) {
	sub, err := scanSubscription(s.queryRow(ctx,
		"SELECT "+subscriptionColumns+" FROM notification_subscriptions WHERE workspace_id = ? AND id = ?", workspaceID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Subscription{}, notFound("notification", id)
	}
	if err != nil {
		return Subscription{}, fmt.Errorf("get subscription %d: %w", id, err)
	}
	return sub, nil
}

// ListSubscriptions returns a workspace's subscriptions, oldest first.
func (s *Store) ListSubscriptions(ctx context.Context, workspaceID int64) ([]Subscription, error) {
	rows, err := s.query(ctx, "SELECT "+subscriptionColumns+" FROM notification_subscriptions WHERE workspace_id = ? ORDER BY id", workspaceID)
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	subs, err := scanAll(rows, scanSubscription)
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	return subs, nil
}

// DeleteSubscription removes a subscription with its pending deliveries and its log.
func (s *Store) DeleteSubscription(ctx context.Context, workspaceID, id int64) error {
	err := s.execOne(ctx, notFound("notification", id),
		"DELETE FROM notification_subscriptions WHERE workspace_id = ? AND id = ?", workspaceID, id)
	if err != nil {
		return fmt.Errorf("delete subscription %d: %w", id, err)
	}
	return nil
}

// NotificationEvent is one thing that happened to a job, recorded once in
// the outbox whichever replica saw it.
type NotificationEvent struct {
	ID          int64
	Key         string // unique: derived from what the cluster says
	WorkspaceID int64
	JobID       int64
	Kind        string
	Payload     string // the generic JSON body
	CreatedAt   time.Time
}

// RecordEvent adds an event to the outbox and, in the same transaction, a
// pending delivery to every subscription of its workspace that wants its
// kind. It reports whether the event is new: an event with the same key
// already recorded (by this replica or another) is left as it is and
// nothing is queued again.
func (s *Store) RecordEvent(ctx context.Context, ev NotificationEvent) (bool, error) {
	now := dbTime(s.now())
	created := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, s.d.rebind(
			"INSERT INTO notification_events (event_key, workspace_id, job_id, kind, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)"+
				" ON CONFLICT (event_key) DO NOTHING RETURNING id"),
			ev.Key, ev.WorkspaceID, ev.JobID, ev.Kind, ev.Payload, now).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // recorded before
		}
		if err != nil {
			return err
		}
		created = true
		_, err = tx.ExecContext(ctx, s.d.rebind(
			"INSERT INTO notification_deliveries (event_id, subscription_id, state, attempts, next_attempt_at)"+
				" SELECT ?, id, ?, 0, ? FROM notification_subscriptions WHERE workspace_id = ? AND (',' || events || ',') LIKE ?"),
			id, DeliveryPending, now, ev.WorkspaceID, "%,"+ev.Kind+",%")
		return err
	})
	if err != nil {
		return false, fmt.Errorf("record event %s: %w", ev.Key, s.constraint(err, nil, notFound("workspace", ev.WorkspaceID)))
	}
	return created, nil
}

// Delivery is one event on its way to one subscription.
type Delivery struct {
	ID           int64
	Event        NotificationEvent
	Subscription Subscription
	State        string
	Attempts     int // made so far
}

// ClaimDeliveries leases up to limit pending deliveries that are due at now
// and not leased by a live holder, to owner until now+ttl, and returns them.
// Each is claimed with a compare-and-set on its lease, so replicas racing
// for one delivery never both get it; a holder that dies loses it when the
// lease ends.
func (s *Store) ClaimDeliveries(ctx context.Context, owner string, ttl time.Duration, limit int) ([]Delivery, error) {
	now := dbTime(s.now())
	rows, err := s.query(ctx, "SELECT id FROM notification_deliveries WHERE state = ? AND next_attempt_at <= ?"+
		" AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_attempt_at, id LIMIT ?", DeliveryPending, now, now, limit)
	if err != nil {
		return nil, fmt.Errorf("find due deliveries: %w", err)
	}
	ids, err := scanAll(rows, scanID)
	if err != nil {
		return nil, fmt.Errorf("find due deliveries: %w", err)
	}
	var out []Delivery
	for _, id := range ids {
		res, err := s.exec(ctx, "UPDATE notification_deliveries SET lease_owner = ?, lease_until = ? WHERE id = ? AND state = ?"+
			" AND (lease_until IS NULL OR lease_until < ?)", owner, now.Add(ttl), id, DeliveryPending, now)
		if err := changedOne(res, err, ErrNotFound); errors.Is(err, ErrNotFound) {
			continue // another replica got it first
		} else if err != nil {
			return out, fmt.Errorf("claim delivery %d: %w", id, err)
		}
		d, err := s.getDelivery(ctx, id)
		if err != nil {
			return out, err
		}
		out = append(out, d)
	}
	return out, nil
}

func (s *Store) getDelivery(ctx context.Context, id int64) (Delivery, error) {
	var d Delivery
	var events string
	e, sub := &d.Event, &d.Subscription
	err := s.queryRow(ctx, "SELECT d.id, d.state, d.attempts, e.id, e.event_key, e.workspace_id, e.job_id, e.kind, e.payload, e.created_at,"+
		" s.id, s.workspace_id, s.url, s.events, s.format, s.sealed_secret, s.created_by, s.created_at"+
		" FROM notification_deliveries d JOIN notification_events e ON e.id = d.event_id"+
		" JOIN notification_subscriptions s ON s.id = d.subscription_id WHERE d.id = ?", id).Scan(
		&d.ID, &d.State, &d.Attempts, &e.ID, &e.Key, &e.WorkspaceID, &e.JobID, &e.Kind, &e.Payload, &e.CreatedAt,
		&sub.ID, &sub.WorkspaceID, &sub.URL, &events, &sub.Format, &sub.SealedSecret, &sub.CreatedBy, &sub.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Delivery{}, notFound("delivery", id)
	}
	if err != nil {
		return Delivery{}, fmt.Errorf("get delivery %d: %w", id, err)
	}
	sub.Events, e.CreatedAt, sub.CreatedAt = splitEvents(events), e.CreatedAt.UTC(), sub.CreatedAt.UTC()
	return d, nil
}

// Attempt is one try to deliver an event, as the delivery log shows it.
type Attempt struct {
	ID             int64
	SubscriptionID int64
	DeliveryID     int64
	EventKind      string
	JobName        string
	Attempt        int // 1 for the first try
	StatusCode     int // 0: no HTTP answer
	Error          string
	Outcome        string // AttemptDelivered, AttemptRetrying or AttemptFailed
	AttemptedAt    time.Time
	Duration       time.Duration
}

// FinishAttempt records an attempt of a delivery owner holds and moves the
// delivery on: delivered, failed for good, or pending again at retryAt. The
// log keeps the subscription's last MaxAttemptsKept attempts. A lease lost
// meanwhile (the holder was too slow; another replica took over) is
// ErrNotFound, and nothing is changed.
func (s *Store) FinishAttempt(ctx context.Context, owner string, a Attempt, retryAt time.Time) error {
	state := DeliveryPending
	switch a.Outcome {
	case AttemptDelivered:
		state = DeliveryDelivered
	case AttemptFailed:
		state = DeliveryFailed
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.execOneTx(ctx, tx, ErrNotFound,
			"UPDATE notification_deliveries SET state = ?, attempts = ?, next_attempt_at = ?, lease_owner = '', lease_until = NULL"+
				" WHERE id = ? AND lease_owner = ?", state, a.Attempt, dbTime(retryAt), a.DeliveryID, owner); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.d.rebind("INSERT INTO notification_attempts (subscription_id, delivery_id, event_kind, job_name,"+
			" attempt, status_code, error, outcome, attempted_at, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
			a.SubscriptionID, a.DeliveryID, a.EventKind, a.JobName, a.Attempt, a.StatusCode, a.Error, a.Outcome,
			dbTime(a.AttemptedAt), a.Duration.Milliseconds()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.d.rebind("DELETE FROM notification_attempts WHERE subscription_id = ? AND id <="+
			" (SELECT id FROM notification_attempts WHERE subscription_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)"),
			a.SubscriptionID, a.SubscriptionID, MaxAttemptsKept)
		return err
	})
	if err != nil {
		return fmt.Errorf("record attempt %d of delivery %d: %w", a.Attempt, a.DeliveryID, err)
	}
	return nil
}

// ListAttempts returns a subscription's delivery log, newest first.
func (s *Store) ListAttempts(ctx context.Context, subscriptionID int64) ([]Attempt, error) {
	rows, err := s.query(ctx, "SELECT id, subscription_id, delivery_id, event_kind, job_name, attempt, status_code, error, outcome,"+
		" attempted_at, duration_ms FROM notification_attempts WHERE subscription_id = ? ORDER BY id DESC", subscriptionID)
	if err != nil {
		return nil, fmt.Errorf("list attempts: %w", err)
	}
	as, err := scanAll(rows, func(r rowScanner) (Attempt, error) {
		var a Attempt
		var ms int64
		err := r.Scan(&a.ID, &a.SubscriptionID, &a.DeliveryID, &a.EventKind, &a.JobName, &a.Attempt, &a.StatusCode, &a.Error,
			&a.Outcome, &a.AttemptedAt, &ms)
		a.AttemptedAt, a.Duration = a.AttemptedAt.UTC(), time.Duration(ms)*time.Millisecond
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("list attempts: %w", err)
	}
	return as, nil
}

// CountEvents returns how many events of a workspace the outbox holds with
// the given kind ("" for every kind), for tests and metrics.
func (s *Store) CountEvents(ctx context.Context, workspaceID int64, kind string) (int, error) {
	var n int
	err := s.queryRow(ctx, "SELECT COUNT(*) FROM notification_events WHERE workspace_id = ? AND (? = '' OR kind = ?)",
		workspaceID, kind, kind).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count events: %w", err)
	}
	return n, nil
}

// JobsDeletedSince returns the jobs deleted at or after since, for the
// "deleted" notification.
func (s *Store) JobsDeletedSince(ctx context.Context, since time.Time) ([]Job, error) {
	rows, err := s.query(ctx, "SELECT "+jobColumns+" FROM jobs WHERE state = ? AND deleted_at >= ? ORDER BY id", JobDeleted, dbTime(since))
	if err != nil {
		return nil, fmt.Errorf("list deleted jobs: %w", err)
	}
	jobs, err := scanAll(rows, scanJob)
	if err != nil {
		return nil, fmt.Errorf("list deleted jobs: %w", err)
	}
	return jobs, nil
}

// PruneNotifications deletes what no longer matters: deliveries finished
// (delivered or failed) before doneBefore, with their log entries, and the
// events of jobs deleted before deletedBefore. Events of live jobs stay:
// their keys keep a state the job still shows from being notified again.
func (s *Store) PruneNotifications(ctx context.Context, doneBefore, deletedBefore time.Time) error {
	if _, err := s.exec(ctx, "DELETE FROM notification_deliveries WHERE state <> ? AND next_attempt_at < ?",
		DeliveryPending, dbTime(doneBefore)); err != nil {
		return fmt.Errorf("prune deliveries: %w", err)
	}
	if _, err := s.exec(ctx, "DELETE FROM notification_events WHERE job_id IN (SELECT id FROM jobs WHERE state = ? AND deleted_at < ?)",
		JobDeleted, dbTime(deletedBefore)); err != nil {
		return fmt.Errorf("prune events: %w", err)
	}
	// Test events (job 0) are told once: they go with their deliveries.
	if _, err := s.exec(ctx, "DELETE FROM notification_events WHERE kind = ? AND created_at < ?", EventTest, dbTime(doneBefore)); err != nil {
		return fmt.Errorf("prune test events: %w", err)
	}
	return nil
}

// RecordTestEvent adds a test event to the outbox and, in the same
// transaction, one pending delivery of it to the subscription subscriptionID
// of the event's workspace (whatever kinds it wants), due now. It returns
// the delivery's ID; the dispatcher sends it like any other.
func (s *Store) RecordTestEvent(ctx context.Context, ev NotificationEvent, subscriptionID int64) (int64, error) {
	now := dbTime(s.now())
	var deliveryID int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var sub int64
		err := tx.QueryRowContext(ctx, s.d.rebind("SELECT id FROM notification_subscriptions WHERE workspace_id = ? AND id = ?"),
			ev.WorkspaceID, subscriptionID).Scan(&sub)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("notification", subscriptionID)
		}
		if err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRowContext(ctx, s.d.rebind(
			"INSERT INTO notification_events (event_key, workspace_id, job_id, kind, payload, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id"),
			ev.Key, ev.WorkspaceID, ev.JobID, ev.Kind, ev.Payload, now).Scan(&id); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, s.d.rebind(
			"INSERT INTO notification_deliveries (event_id, subscription_id, state, attempts, next_attempt_at) VALUES (?, ?, ?, 0, ?) RETURNING id"),
			id, subscriptionID, DeliveryPending, now).Scan(&deliveryID)
	})
	if err != nil {
		return 0, fmt.Errorf("record test event: %w", err)
	}
	return deliveryID, nil
}

// SubscriptionChange is what UpdateSubscription changes: the fields set;
// nil ones stay as they are.
type SubscriptionChange struct {
	URL, Format *string
	Events      []string // nil: unchanged
	// SealedSecret, when not nil, replaces the signing secret.
	SealedSecret []byte
}

// UpdateSubscription changes the fields c sets of a workspace's
// subscription in one statement (two edits of different fields both stay)
// and returns it. Pending deliveries go to the new URL, in the new format,
// signed with the new secret from their next attempt.
func (s *Store) UpdateSubscription(ctx context.Context, workspaceID, id int64, c SubscriptionChange) (Subscription, error) {
	var events, sealed any
	if c.Events != nil {
		events = strings.Join(c.Events, ",")
	}
	if c.SealedSecret != nil {
		if len(c.SealedSecret) == 0 {
			return Subscription{}, fmt.Errorf("update subscription %d: %w", id, &ValidationError{Field: "secret", Problem: "must not be empty"})
		}
		sealed = c.SealedSecret
	}
	sub, err := scanSubscription(s.queryRow(ctx, "UPDATE notification_subscriptions SET url = COALESCE(?, url), events = COALESCE(?, events),"+
		" format = COALESCE(?, format), sealed_secret = COALESCE(?, sealed_secret) WHERE workspace_id = ? AND id = ? RETURNING "+subscriptionColumns,
		c.URL, events, c.Format, sealed, workspaceID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Subscription{}, notFound("notification", id)
	}
	if err != nil {
		return Subscription{}, fmt.Errorf("update subscription %d: %w", id, err)
	}
	return sub, nil
}

// CountPendingDeliveries returns how many deliveries, of every workspace,
// wait for an attempt (a first one or a retry), for the metrics.
func (s *Store) CountPendingDeliveries(ctx context.Context) (int, error) {
	var n int
	if err := s.queryRow(ctx, "SELECT COUNT(*) FROM notification_deliveries WHERE state = ?", DeliveryPending).Scan(&n); err != nil {
		return 0, fmt.Errorf("count pending deliveries: %w", err)
	}
	return n, nil
}

// ListAllSubscriptions returns the subscriptions of every workspace, oldest
// first, for the check at start that their secrets open.
func (s *Store) ListAllSubscriptions(ctx context.Context) ([]Subscription, error) {
	rows, err := s.query(ctx, "SELECT "+subscriptionColumns+" FROM notification_subscriptions ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	subs, err := scanAll(rows, scanSubscription)
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	return subs, nil
}
