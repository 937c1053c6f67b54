package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/auth"
	"github.com/switchyard/switchyard/internal/notifications"
	"github.com/switchyard/switchyard/internal/store"
)

func (a *API) notificationRoutes() []route {
	return []route{
		{pattern: "GET /api/v1/workspaces/{ws}/notifications", handle: a.listNotifications},
		{pattern: "POST /api/v1/workspaces/{ws}/notifications", handle: a.createNotification},
		{pattern: "GET /api/v1/workspaces/{ws}/notifications/{id}", handle: a.getNotification},
		{pattern: "DELETE /api/v1/workspaces/{ws}/notifications/{id}", handle: a.deleteNotification},
		{pattern: "GET /api/v1/workspaces/{ws}/notifications/{id}/deliveries", handle: a.listNotificationDeliveries},
		{pattern: "POST /api/v1/workspaces/{ws}/notifications/{id}/test", handle: a.testNotification},
		{pattern: "PATCH /api/v1/workspaces/{ws}/notifications/{id}", handle: a.updateNotification},
		{pattern: "POST /api/v1/workspaces/{ws}/notifications/{id}/rotate-secret", handle: a.rotateNotificationSecret},
	}
}

// notificationJSON is a webhook subscription on the wire. Secret is set only
// in the answer to its creation.
type notificationJSON struct {
	ID        int64     `json:"id"`
	Workspace string    `json:"workspace"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	Format    string    `json:"format"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	Secret    string    `json:"secret,omitempty"`
}

func toNotification(ws store.Workspace) func(store.Subscription) notificationJSON {
	return func(s store.Subscription) notificationJSON {
		return notificationJSON{ID: s.ID, Workspace: ws.Name, URL: s.URL, Events: s.Events, Format: s.Format,
			CreatedBy: s.CreatedBy, CreatedAt: s.CreatedAt}
	}
}

type attemptJSON struct {
	ID          int64     `json:"id"`
	Delivery    int64     `json:"delivery"`
	Event       string    `json:"event"`
	Job         string    `json:"job"`
	Attempt     int       `json:"attempt"`
	StatusCode  int       `json:"status_code"`
	Error       string    `json:"error,omitempty"`
	Outcome     string    `json:"outcome"`
	AttemptedAt time.Time `json:"attempted_at"`
	DurationMS  int64     `json:"duration_ms"`
}

func toAttempt(a store.Attempt) attemptJSON {
	return attemptJSON{ID: a.ID, Delivery: a.DeliveryID, Event: a.EventKind, Job: a.JobName, Attempt: a.Attempt,
		StatusCode: a.StatusCode, Error: a.Error, Outcome: a.Outcome, AttemptedAt: a.AttemptedAt, DurationMS: a.Duration.Milliseconds()}
}

func (a *API) listNotifications(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ws, err := a.workspace(r, p, access.NotificationView)
	if err != nil {
		return err
	}
	subs, err := a.Store.ListSubscriptions(r.Context(), ws.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mapAll(subs, toNotification(ws)))
	return nil
}

func (a *API) getNotification(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ws, sub, err := a.notification(r, p, access.NotificationView)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toNotification(ws)(sub))
	return nil
}

// notification returns the workspace and the subscription the path names.
func (a *API) notification(r *http.Request, p auth.Principal, action access.Action) (store.Workspace, store.Subscription, error) {
	ws, err := a.workspace(r, p, action)
	if err != nil {
		return ws, store.Subscription{}, err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return ws, store.Subscription{}, err
	}
	sub, err := a.Store.GetSubscription(r.Context(), ws.ID, id)
	return ws, sub, err
}

type createNotificationRequest struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
	Format string   `json:"format"`
	Secret string   `json:"secret"`
}

// createNotification subscribes a webhook (workspace admins). The answer
// carries the signing secret, which is never shown again.
func (a *API) createNotification(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req createNotificationRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	ws, err := a.workspace(r, p, access.NotificationManage)
	var sub store.Subscription
	var secret string
	if err == nil {
		sub, secret, err = a.Notifications.Create(r.Context(), ws.ID, p.User.Username,
			notifications.Request{URL: req.URL, Events: req.Events, Format: req.Format, Secret: req.Secret})
	}
	ev := wsEvent(p, ws, "notification.create", "notification")
	if sub.ID != 0 {
		ev.target = "notification " + strconv.FormatInt(sub.ID, 10)
	}
	// The URL is left out: Slack's carry a token. Its host says where events go.
	events, format := sub.Events, sub.Format
	if sub.ID == 0 {
		events, format = req.Events, req.Format
	}
	ev.detail = truncateBytes("to "+urlHost(req.URL)+", events "+strings.Join(events, ",")+", format "+format, 300)
	if err := a.record(r.Context(), ev, err); err != nil {
		return err
	}
	out := toNotification(ws)(sub)
	out.Secret = secret
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// urlHost is the host of a webhook URL, for the audit log.
func urlHost(raw string) string {
	rest, ok := strings.CutPrefix(raw, "https://")
	if !ok {
		rest, _ = strings.CutPrefix(raw, "http://")
	}
	host, _, _ := strings.Cut(rest, "/")
	return truncateBytes(host, 100)
}

// truncateBytes cuts s to at most n bytes, never inside a character.
func truncateBytes(s string, n int) string {
	s = strings.ToValidUTF8(s, "?")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func (a *API) deleteNotification(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ws, sub, err := a.notification(r, p, access.NotificationManage)
	if err == nil {
		err = a.Store.DeleteSubscription(r.Context(), ws.ID, sub.ID)
	}
	ev := wsEvent(p, ws, "notification.delete", "notification "+r.PathValue("id"))
	if sub.ID != 0 {
		ev.detail = "to " + urlHost(sub.URL)
	}
	if err := a.record(r.Context(), ev, err); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listNotificationDeliveries serves a subscription's delivery log, newest first.
func (a *API) listNotificationDeliveries(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	_, sub, err := a.notification(r, p, access.NotificationView)
	if err != nil {
		return err
	}
	as, err := a.Store.ListAttempts(r.Context(), sub.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mapAll(as, toAttempt))
	return nil
}

// testWait bounds how long a test waits for its first attempt: one HTTP
// attempt (10 s) and a poll, with room.
const testWait = 15 * time.Second

// testNotification sends a signed test event to a subscription now, through
// the outbox (the delivery log shows it). It answers with the first attempt
// (200) once one is logged, or 202 and outcome "pending" when none is
// within testWait.
func (a *API) testNotification(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ws, sub, err := a.notification(r, p, access.NotificationManage)
	var delivery int64
	if err == nil {
		delivery, err = a.Notifications.Test(r.Context(), ws, sub, p.User.Username)
	}
	ev := wsEvent(p, ws, "notification.test", "notification "+r.PathValue("id"))
	if sub.ID != 0 {
		ev.detail = "to " + urlHost(sub.URL)
	}
	if err := a.record(r.Context(), ev, err); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), testWait)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		as, err := a.Store.ListAttempts(ctx, sub.ID)
		if err != nil && ctx.Err() == nil {
			return err
		}
		for _, at := range as {
			if at.DeliveryID == delivery {
				writeJSON(w, http.StatusOK, toAttempt(at))
				return nil
			}
		}
		select {
		case <-ctx.Done():
			writeJSON(w, http.StatusAccepted, attemptJSON{Delivery: delivery, Event: string(notifications.KindTest), Outcome: "pending"})
			return nil
		case <-tick.C:
		}
	}
}

type updateNotificationRequest struct {
	URL    *string   `json:"url"`
	Events *[]string `json:"events"`
	Format *string   `json:"format"`
}

// updateNotification changes a subscription's url, events or format (the
// fields given); bad input is a 422 naming the field, and nothing changes.
func (a *API) updateNotification(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req updateNotificationRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	ws, err := a.workspace(r, p, access.NotificationManage)
	var sub store.Subscription
	if err == nil {
		var id int64
		if id, err = pathID(r, "id"); err == nil {
			sub, err = a.Notifications.Update(r.Context(), ws.ID, id,
				notifications.Change{URL: req.URL, Events: req.Events, Format: req.Format})
		}
	}
	ev := wsEvent(p, ws, "notification.update", "notification "+r.PathValue("id"))
	// What changed, the URL by its host only (Slack's carry a token).
	var changed []string
	if req.URL != nil {
		changed = append(changed, "url to "+urlHost(*req.URL))
	}
	if req.Events != nil {
		events := *req.Events
		if sub.ID != 0 {
			events = sub.Events
		}
		changed = append(changed, "events "+strings.Join(events, ","))
	}
	if req.Format != nil {
		changed = append(changed, "format "+*req.Format)
	}
	ev.detail = truncateBytes(strings.Join(changed, ", "), 300)
	if err := a.record(r.Context(), ev, err); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toNotification(ws)(sub))
	return nil
}

// rotateNotificationSecret gives a subscription a new generated signing
// secret; the answer carries it, never shown again.
func (a *API) rotateNotificationSecret(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ws, sub, err := a.notification(r, p, access.NotificationManage)
	var secret string
	if err == nil {
		sub, secret, err = a.Notifications.RotateSecret(r.Context(), ws.ID, sub.ID)
	}
	ev := wsEvent(p, ws, "notification.rotate-secret", "notification "+r.PathValue("id"))
	if sub.ID != 0 {
		ev.detail = "to " + urlHost(sub.URL)
	}
	if err := a.record(r.Context(), ev, err); err != nil {
		return err
	}
	out := toNotification(ws)(sub)
	out.Secret = secret
	writeJSON(w, http.StatusOK, out)
	return nil
}
