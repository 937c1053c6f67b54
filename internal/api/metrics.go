package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/release"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/version"
)

// Metrics are the server's Prometheus metrics, in a registry of their own
// (no global state), served at /metrics.
type Metrics struct {
	registry      *prometheus.Registry
	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	loginFailures *prometheus.CounterVec
	operations    *prometheus.CounterVec
	// switches times a traffic switch: from the operation's call to the
	// active Service selecting the new version (kind switch: promote;
	// switch_back: rollback).
	switches *prometheus.HistogramVec
	// notificationAttempts counts webhook delivery attempts (metrics_notifications.go).
	notificationAttempts *prometheus.CounterVec
}

// SwitchBuckets are the buckets of switchyard_switch_duration_seconds: a
// fast rollback takes a second or two, a promote waits for green to be ready.
var SwitchBuckets = []float64{0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600}

// NewMetrics returns the metrics, with Go runtime and process collectors
// and switchyard_build_info.
func NewMetrics() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchyard_http_requests_total",
			Help: "HTTP requests served, by route pattern and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchyard_http_request_duration_seconds",
			Help:    "Time to serve HTTP requests, by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		loginFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchyard_login_failures_total",
			Help: "Failed logins, by reason (bad_credentials, rate_limited).",
		}, []string{"reason"}),
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchyard_job_operations_total",
			Help: "Job operations asked for, by operation (create, deploy, promote, promote-full, abort, retry, rollback, delete) and outcome (success; refused: the request or the job's state was wrong, 4xx; failed: the server or the cluster failed, 5xx).",
		}, []string{"operation", "outcome"}),
		switches: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchyard_switch_duration_seconds",
			Help:    "Time from a promote (kind switch) or rollback (kind switch_back) being asked for to the active Service selecting the new version.",
			Buckets: SwitchBuckets,
		}, []string{"kind"}),
		notificationAttempts: newNotificationAttempts(),
	}
	m.registry.MustRegister(m.requests, m.duration, m.loginFailures, m.operations, m.switches, m.notificationAttempts, buildInfo(),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// buildInfo is the constant switchyard_build_info{version,revision,goversion} 1.
func buildInfo() prometheus.Collector {
	info := version.Get()
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "switchyard_build_info",
		Help:        "Always 1; the labels say which build is running.",
		ConstLabels: prometheus.Labels{"version": info.Version, "revision": info.Revision, "goversion": info.GoVersion},
	}, func() float64 { return 1 })
}

// WatchJobs adds the gauges read at each scrape: jobs by phase (their live
// status, from the informer caches, never a call to a cluster) and each
// cluster's reachability (its last probe, from the store). Call it once.
func (m *Metrics) WatchJobs(jobs *release.Service, clusters *cluster.Manager) {
	m.registry.MustRegister(&jobCollector{jobs: jobs, clusters: clusters})
}

// observe records one served request.
func (m *Metrics) observe(route string, code int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
}

// loginFailed records a failed login.
func (m *Metrics) loginFailed(reason string) {
	m.loginFailures.WithLabelValues(reason).Inc()
}

// operation records a job operation's outcome.
func (m *Metrics) operation(op string, err error) {
	outcome := "success"
	switch {
	case err == nil:
	case status(err).Status >= 500:
		outcome = "failed"
	default:
		outcome = "refused"
	}
	m.operations.WithLabelValues(op, outcome).Inc()
}

// ObserveSwitch records how long a traffic switch took (kind "switch" or
// "switch_back").
func (m *Metrics) ObserveSwitch(kind string, d time.Duration) {
	m.switches.WithLabelValues(kind).Observe(d.Seconds())
}

// handler serves the metrics in the Prometheus text format.
func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// collectTimeout bounds the store reads of one scrape.
const collectTimeout = 5 * time.Second

// jobCollector reads the job and cluster gauges at scrape time.
type jobCollector struct {
	jobs     *release.Service
	clusters *cluster.Manager
}

var (
	jobsDesc = prometheus.NewDesc("switchyard_jobs",
		"Jobs (not deleted) by their live phase; Unknown while their cluster can't be read.", []string{"phase"}, nil)
	reachableDesc = prometheus.NewDesc("switchyard_cluster_reachable",
		"1 if the cluster answered its last probe, 0 if not (clusters not probed yet are left out).", []string{"cluster"}, nil)
	scrapeErrorDesc = prometheus.NewDesc("switchyard_metrics_read_errors",
		"1 if this scrape could not read the jobs, clusters or notifications (the store failed).", []string{"what"}, nil)
)

// Describe implements prometheus.Collector.
func (c *jobCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- jobsDesc
	ch <- reachableDesc
	ch <- scrapeErrorDesc
}

// Collect implements prometheus.Collector.
func (c *jobCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), collectTimeout)
	defer cancel()
	counts, err := c.phases(ctx)
	ch <- prometheus.MustNewConstMetric(scrapeErrorDesc, prometheus.GaugeValue, boolValue(err != nil), "jobs")
	if err == nil {
		for _, ph := range release.Phases {
			if ph != release.PhaseDeleted {
				ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(counts[ph]), string(ph))
			}
		}
	}
	cs, err := c.clusters.Clusters(ctx)
	ch <- prometheus.MustNewConstMetric(scrapeErrorDesc, prometheus.GaugeValue, boolValue(err != nil), "clusters")
	for _, cl := range cs {
		if cl.Status.ProbedAt != nil {
			ch <- prometheus.MustNewConstMetric(reachableDesc, prometheus.GaugeValue, boolValue(cl.Status.Reachable), cl.Name)
		}
	}
}

// phases counts the jobs by live phase, a page at a time.
func (c *jobCollector) phases(ctx context.Context) (map[release.Phase]int, error) {
	counts := map[release.Phase]int{}
	f := store.JobFilter{Limit: 500}
	for {
		views, total, err := c.jobs.List(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, v := range views {
			counts[v.Status.Phase]++
		}
		f.Offset += len(views)
		if len(views) == 0 || f.Offset >= total {
			return counts, nil
		}
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// switchWatchTimeout is how long a switch is waited for after a promote or
// rollback; one that hasn't happened by then is not observed.
const switchWatchTimeout = 10 * time.Minute

// switchKinds maps the operations that switch traffic to their histogram kind.
var switchKinds = map[string]string{
	release.OpPromote: "switch", release.OpPromoteFull: "switch",
	release.OpRollback: "switch_back", release.OpAbort: "switch_back",
}

// timeSwitch starts timing the traffic switch operation op on the job may
// cause; call the returned func with the operation's error. On success the
// switch is awaited in the background (reading the informer cache) and
// observed when it happens.
func (a *API) timeSwitch(r *http.Request, ws store.Workspace, name, op string) func(error) {
	kind, ok := switchKinds[op]
	if !ok || a.Jobs == nil {
		return func(error) {}
	}
	w, err := a.Jobs.WatchSwitch(r.Context(), ws, name)
	if err != nil {
		return func(error) {} // the operation will fail the same way
	}
	return func(err error) {
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), switchWatchTimeout)
		go func() {
			defer cancel()
			if d, ok := w.Wait(ctx); ok {
				a.Metrics.ObserveSwitch(kind, d)
			}
		}()
	}
}
