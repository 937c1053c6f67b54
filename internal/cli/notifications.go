package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchyard/switchyard/client"
)

func (c *cli) notificationCmd() *cobra.Command {
	return c.group("notification", "Webhooks told of a workspace's job events (workspace admins)",
		c.notificationListCmd(), c.notificationAddCmd(), c.notificationRemoveCmd(), c.notificationDeliveriesCmd(),
		c.notificationTestCmd(), c.notificationSetCmd(), c.notificationRotateSecretCmd())
}

func notificationTable(ns []client.Notification, wide bool) table {
	t := table{head: []string{"ID", "URL", "EVENTS", "FORMAT", "AGE"}}
	if wide {
		t.head = append(t.head, "CREATED BY", "CREATED")
	}
	now := time.Now()
	for _, n := range ns {
		row := []string{strconv.FormatInt(n.ID, 10), dash(n.URL), dash(strings.Join(n.Events, ",")), n.Format, age(n.CreatedAt, now)}
		if wide {
			row = append(row, dash(n.CreatedBy), timestamp(&n.CreatedAt))
		}
		t.add(row...)
	}
	return t
}

func notificationName(n client.Notification) string { return strconv.FormatInt(n.ID, 10) }

func (c *cli) notificationListCmd() *cobra.Command {
	var f adminFlags
	return c.inWorkspaceCmd("list", "List a workspace's webhook subscriptions", "List the webhooks a workspace's job events go to.",
		`  switchyard notification list -w payments`, noArgs, &f,
		func(ctx context.Context, s *session, ws string, _ []string) error {
			ns, err := s.client.Notifications(ctx, ws)
			if err != nil {
				return err
			}
			return c.print(f.out, listing{kind: "Notification", items: ns, scope: "in workspace " + ws,
				table: notificationTable(ns, f.out.wide()), names: names("notification", ns, notificationName)})
		})
}

func (c *cli) notificationAddCmd() *cobra.Command {
	var f adminFlags
	var events []string
	var format string
	cmd := c.inWorkspaceCmd("add URL", "Send a workspace's job events to a webhook (secret shown once)",
		`Subscribe a webhook (an http:// or https:// URL) to a workspace's job events:
awaiting-promotion, promoted, switched-back, aborted, check-failed, degraded and
deleted (--events picks some; default: all). --format slack sends Slack-compatible
incoming-webhook messages; json (the default) the event itself.

Every delivery is signed: X-Switchyard-Signature is sha256= and the hex
HMAC-SHA256, keyed with the subscription's secret, of the X-Switchyard-Timestamp
header, a dot and the body. The secret is printed once, on stdout.`,
		`  switchyard notification add https://hooks.example.com/services/T000/B000/XXXX --format slack --events promoted,switched-back,check-failed -w payments
  switchyard notification add https://ci.example.com/switchyard -w payments -o json`, argsBetween(1, 1), &f,
		func(ctx context.Context, s *session, ws string, args []string) error {
			n, err := s.client.CreateNotification(ctx, ws, client.NewNotification{URL: args[0], Events: events, Format: format})
			if err != nil {
				return err
			}
			if !f.out.human() {
				return c.print(f.out, listing{kind: "Notification", single: true, items: n, names: []string{"notification/" + notificationName(*n)}})
			}
			fmt.Fprintln(c.stdout, n.Secret)
			fmt.Fprintf(c.stderr, "notification %d created (events %s, format %s); its signing secret is shown only this once\n",
				n.ID, strings.Join(n.Events, ","), n.Format)
			return nil
		})
	cmd.Flags().StringSliceVar(&events, "events", nil, "event kinds to send, comma-separated (default: all)")
	cmd.Flags().StringVar(&format, "format", "json", "json or slack")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"json", "slack"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// notificationID reads the ID argument of a notification command.
func notificationID(cmd, arg string) (int64, error) {
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || id <= 0 {
		return 0, usageError{fmt.Sprintf("notification %s: %q is not a notification id (see switchyard notification list)", cmd, arg)}
	}
	return id, nil
}

func (c *cli) notificationRemoveCmd() *cobra.Command {
	var f adminFlags
	return c.inWorkspaceCmd("remove ID", "Remove a webhook subscription by id",
		"Remove a webhook subscription by its id (see notification list), with its pending deliveries and its log.",
		`  switchyard notification remove "$(switchyard notification list -w payments -o jsonpath='{.items[0].id}')" -w payments`,
		argsBetween(1, 1), &f,
		func(ctx context.Context, s *session, ws string, args []string) error {
			id, err := notificationID("remove", args[0])
			if err != nil {
				return err
			}
			if err := s.client.DeleteNotification(ctx, ws, id); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "notification %d removed\n", id)
			return nil
		})
}

func attemptTable(as []client.NotificationAttempt, wide bool) table {
	t := table{head: []string{"DELIVERY", "EVENT", "JOB", "ATTEMPT", "OUTCOME", "STATUS", "AGE", "ERROR"}}
	if wide {
		t.head = append(t.head, "AT", "DURATION")
	}
	now := time.Now()
	for _, a := range as {
		status := "-"
		if a.StatusCode != 0 {
			status = strconv.Itoa(a.StatusCode)
		}
		row := []string{strconv.FormatInt(a.Delivery, 10), a.Event, dash(a.Job), strconv.Itoa(a.Attempt), a.Outcome, status,
			age(a.AttemptedAt, now), dash(a.Error)}
		if wide {
			row = append(row, timestamp(&a.AttemptedAt), (time.Duration(a.DurationMS) * time.Millisecond).String())
		}
		t.add(row...)
	}
	return t
}

func (c *cli) notificationDeliveriesCmd() *cobra.Command {
	var f adminFlags
	return c.inWorkspaceCmd("deliveries ID", "Show a webhook subscription's delivery log",
		"Show the last attempts to deliver events to a webhook, newest first: the HTTP status, or why there was none.",
		`  switchyard notification deliveries 1 -w payments`, argsBetween(1, 1), &f,
		func(ctx context.Context, s *session, ws string, args []string) error {
			id, err := notificationID("deliveries", args[0])
			if err != nil {
				return err
			}
			as, err := s.client.NotificationDeliveries(ctx, ws, id)
			if err != nil {
				return err
			}
			return c.print(f.out, listing{kind: "NotificationAttempt", items: as, scope: "for notification " + args[0],
				table: attemptTable(as, f.out.wide())})
		})
}

func (c *cli) notificationTestCmd() *cobra.Command {
	var f adminFlags
	return c.inWorkspaceCmd("test ID", "Send a signed test event to a webhook now",
		`Send one "test" event to a webhook now, signed and formatted like every other
(it shows in the delivery log), and print how the first attempt went. A failed
attempt is retried like any delivery; the command exits non-zero.`,
		`  switchyard notification test 1 -w payments`, argsBetween(1, 1), &f,
		func(ctx context.Context, s *session, ws string, args []string) error {
			id, err := notificationID("test", args[0])
			if err != nil {
				return err
			}
			a, err := s.client.TestNotification(ctx, ws, id)
			if err != nil {
				return err
			}
			if !f.out.human() {
				return c.print(f.out, listing{kind: "NotificationAttempt", single: true, items: a})
			}
			switch a.Outcome {
			case "delivered":
				fmt.Fprintf(c.stdout, "test delivery %d to notification %d: HTTP %d\n", a.Delivery, id, a.StatusCode)
				return nil
			case "pending":
				return fmt.Errorf("test delivery %d to notification %d: not tried yet; see switchyard notification deliveries %d", a.Delivery, id, id)
			}
			return fmt.Errorf("test delivery %d to notification %d failed (%s, retried like any delivery): %s", a.Delivery, id, a.Outcome, a.Error)
		})
}

func (c *cli) notificationSetCmd() *cobra.Command {
	var f adminFlags
	var url, format string
	var events []string
	var cmd *cobra.Command
	cmd = c.inWorkspaceCmd("set ID", "Change a webhook's URL, events or format",
		`Change what a webhook subscription gets: the flags given change, the others stay.
--events "" means every kind. Deliveries still pending go to the new URL, in the new
format. The signing secret stays (see notification rotate-secret).`,
		`  switchyard notification set 2 --events promoted,switched-back,check-failed,deleted -w payments
  switchyard notification set 2 --format slack -w payments`, argsBetween(1, 1), &f,
		func(ctx context.Context, s *session, ws string, args []string) error {
			id, err := notificationID("set", args[0])
			if err != nil {
				return err
			}
			var ch client.NotificationChange
			if cmd.Flags().Changed("url") {
				ch.URL = &url
			}
			if cmd.Flags().Changed("events") {
				ch.Events = &events
				if events == nil {
					ch.Events = &[]string{}
				}
			}
			if cmd.Flags().Changed("format") {
				ch.Format = &format
			}
			if ch.URL == nil && ch.Events == nil && ch.Format == nil {
				return usageError{"notification set: give --url, --events or --format"}
			}
			n, err := s.client.UpdateNotification(ctx, ws, id, ch)
			if err != nil {
				return err
			}
			return c.print(f.out, listing{kind: "Notification", single: true, items: n, table: notificationTable([]client.Notification{*n}, f.out.wide()),
				names: []string{"notification/" + notificationName(*n)}})
		})
	cmd.Flags().StringVar(&url, "url", "", "the new http:// or https:// URL")
	cmd.Flags().StringSliceVar(&events, "events", nil, `event kinds to send, comma-separated ("": all)`)
	cmd.Flags().StringVar(&format, "format", "", "json or slack")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"json", "slack"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (c *cli) notificationRotateSecretCmd() *cobra.Command {
	var f adminFlags
	return c.inWorkspaceCmd("rotate-secret ID", "Give a webhook a new signing secret (shown once)",
		`Replace a webhook subscription's signing secret with a new generated one, printed
once on stdout. Every delivery from now on, retries of pending ones too, is signed
with it: give it to the receiver.`,
		`  switchyard notification rotate-secret 2 -w payments`, argsBetween(1, 1), &f,
		func(ctx context.Context, s *session, ws string, args []string) error {
			id, err := notificationID("rotate-secret", args[0])
			if err != nil {
				return err
			}
			n, err := s.client.RotateNotificationSecret(ctx, ws, id)
			if err != nil {
				return err
			}
			if !f.out.human() {
				return c.print(f.out, listing{kind: "Notification", single: true, items: n, names: []string{"notification/" + notificationName(*n)}})
			}
			fmt.Fprintln(c.stdout, n.Secret)
			fmt.Fprintf(c.stderr, "notification %d has a new signing secret, shown only this once\n", n.ID)
			return nil
		})
}
