package client

import (
	"context"
	"strconv"
	"time"
)

// Notification is a workspace's webhook subscription: which job events go
// to which URL, in which format. Its secret is shown only when it is made.
type Notification struct {
	ID        int64     `json:"id"`
	Workspace string    `json:"workspace"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	Format    string    `json:"format"` // "json" or "slack"
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	// Secret signs the deliveries (HMAC-SHA256): only in CreateNotification's answer.
	Secret string `json:"secret,omitempty"`
}

// NewNotification is what CreateNotification sends. Empty Events means
// every kind, empty Format "json", empty Secret a generated one.
type NewNotification struct {
	URL    string   `json:"url"`
	Events []string `json:"events,omitempty"`
	Format string   `json:"format,omitempty"`
	Secret string   `json:"secret,omitempty"`
}

// NotificationAttempt is one try at delivering an event, from a
// subscription's delivery log.
type NotificationAttempt struct {
	ID          int64     `json:"id"`
	Delivery    int64     `json:"delivery"` // the X-Switchyard-Delivery header sent
	Event       string    `json:"event"`
	Job         string    `json:"job"`
	Attempt     int       `json:"attempt"`
	StatusCode  int       `json:"status_code"` // 0: no HTTP answer
	Error       string    `json:"error,omitempty"`
	Outcome     string    `json:"outcome"` // delivered, retrying or failed
	AttemptedAt time.Time `json:"attempted_at"`
	DurationMS  int64     `json:"duration_ms"`
}

func notificationPath(workspace string, id int64) string {
	return wsPath(workspace) + "/notifications/" + strconv.FormatInt(id, 10)
}

// Notifications lists a workspace's webhook subscriptions (workspace admins).
func (c *Client) Notifications(ctx context.Context, workspace string) ([]Notification, error) {
	var l list[Notification]
	return l.Items, c.do(ctx, "GET", wsPath(workspace)+"/notifications", nil, &l)
}

// Notification returns one webhook subscription (workspace admins).
func (c *Client) Notification(ctx context.Context, workspace string, id int64) (*Notification, error) {
	var n Notification
	return &n, c.do(ctx, "GET", notificationPath(workspace, id), nil, &n)
}

// CreateNotification subscribes a webhook to a workspace's job events
// (workspace admins). The answer holds the signing secret.
func (c *Client) CreateNotification(ctx context.Context, workspace string, n NewNotification) (*Notification, error) {
	var out Notification
	return &out, c.do(ctx, "POST", wsPath(workspace)+"/notifications", n, &out)
}

// DeleteNotification removes a webhook subscription and its delivery log (workspace admins).
func (c *Client) DeleteNotification(ctx context.Context, workspace string, id int64) error {
	return c.do(ctx, "DELETE", notificationPath(workspace, id), nil, nil)
}

// NotificationDeliveries returns a subscription's delivery log, newest
// attempt first (workspace admins).
func (c *Client) NotificationDeliveries(ctx context.Context, workspace string, id int64) ([]NotificationAttempt, error) {
	var l list[NotificationAttempt]
	return l.Items, c.do(ctx, "GET", notificationPath(workspace, id)+"/deliveries", nil, &l)
}

// TestNotification sends a signed test event to a webhook now, through the
// delivery log, and returns its first attempt; Outcome "pending" when the
// server saw none within its wait (workspace admins).
func (c *Client) TestNotification(ctx context.Context, workspace string, id int64) (*NotificationAttempt, error) {
	var a NotificationAttempt
	return &a, c.do(ctx, "POST", notificationPath(workspace, id)+"/test", nil, &a)
}

// NotificationChange is what UpdateNotification sends: the fields set
// change, nil ones stay. Events set and empty means every kind.
type NotificationChange struct {
	URL    *string   `json:"url,omitempty"`
	Events *[]string `json:"events,omitempty"`
	Format *string   `json:"format,omitempty"`
}

// UpdateNotification changes a webhook subscription's URL, events or format
// (workspace admins).
func (c *Client) UpdateNotification(ctx context.Context, workspace string, id int64, ch NotificationChange) (*Notification, error) {
	var out Notification
	return &out, c.do(ctx, "PATCH", notificationPath(workspace, id), ch, &out)
}

// RotateNotificationSecret gives a webhook subscription a new signing
// secret; the answer holds it, shown only there (workspace admins).
func (c *Client) RotateNotificationSecret(ctx context.Context, workspace string, id int64) (*Notification, error) {
	var out Notification
	return &out, c.do(ctx, "POST", notificationPath(workspace, id)+"/rotate-secret", nil, &out)
}
