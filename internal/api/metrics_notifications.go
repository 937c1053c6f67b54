package api

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchyard/switchyard/internal/store"
)

// Webhook delivery metrics: attempts this replica made by result (a
// counter: sum it over replicas) and the deliveries waiting in the shared
// store (a gauge read at scrape: every replica reports the same number).

var notificationPendingDesc = prometheus.NewDesc("switchyard_notification_deliveries_pending",
	"Webhook deliveries waiting for an attempt (a first one or a retry after a failure), all workspaces; the same on every replica.", nil, nil)

func newNotificationAttempts() *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "switchyard_notification_deliveries_total",
		Help: "Webhook delivery attempts this replica made, by result: delivered (2xx), retrying (failed, another try follows) or failed (the last try failed: given up).",
	}, []string{"result"})
	for _, r := range []string{store.AttemptDelivered, store.AttemptRetrying, store.AttemptFailed} {
		c.WithLabelValues(r) // shown as 0 before the first
	}
	return c
}

// NotificationAttempt records one delivery attempt's outcome
// (store.AttemptDelivered, AttemptRetrying or AttemptFailed).
func (m *Metrics) NotificationAttempt(outcome string) {
	m.notificationAttempts.WithLabelValues(outcome).Inc()
}

// WatchNotifications adds the pending deliveries gauge, read from st at
// each scrape. Call it once.
func (m *Metrics) WatchNotifications(st *store.Store) {
	m.registry.MustRegister(&notificationCollector{store: st})
}

type notificationCollector struct{ store *store.Store }

// Describe implements prometheus.Collector. It describes nothing, which
// makes the collector unchecked: its read-error sample shares
// switchyard_metrics_read_errors (a label value of its own) with jobCollector's.
func (c *notificationCollector) Describe(chan<- *prometheus.Desc) {}

// Collect implements prometheus.Collector.
func (c *notificationCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), collectTimeout)
	defer cancel()
	n, err := c.store.CountPendingDeliveries(ctx)
	ch <- prometheus.MustNewConstMetric(scrapeErrorDesc, prometheus.GaugeValue, boolValue(err != nil), "notifications")
	if err == nil {
		ch <- prometheus.MustNewConstMetric(notificationPendingDesc, prometheus.GaugeValue, float64(n))
	}
}
