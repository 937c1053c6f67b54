// Package server wires Switchyard's parts together and serves them over HTTP.
package server

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/api"
	"github.com/switchyard/switchyard/internal/auth"
	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/logging"
	"github.com/switchyard/switchyard/internal/notifications"
	"github.com/switchyard/switchyard/internal/proxy"
	"github.com/switchyard/switchyard/internal/release"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/web"
)

// Options configure a Switchyard server.
type Options struct {
	Addr        string // listen address, host:port
	DataDir     string // holds the SQLite database and the key file
	DatabaseURL string // postgres://…; empty means SQLite in DataDir
	// AdminPassword is the password of the platform administrator "admin"
	// created on first start; empty means a random one, logged once.
	AdminPassword string
	// BcryptCost is the cost of password hashes; 0 means auth.DefaultBcryptCost.
	// Tests lower it.
	BcryptCost int
	// MaxConnsPerClient caps the connections one client address may hold
	// open; 0 means DefaultMaxConnsPerClient.
	MaxConnsPerClient int
	// MaxStreamsPerUser caps the change streams one user may hold open;
	// 0 means api.DefaultMaxStreamsPerUser.
	MaxStreamsPerUser int
	// TrustedProxies is a comma-separated list of CIDR ranges (--trusted-proxies):
	// only from peers in them do X-Forwarded-For and X-Forwarded-Proto count.
	TrustedProxies string
	// ExternalURL is where users reach Switchyard (--external-url), e.g.
	// https://switchyard.example.com: used in links, and an https one makes
	// every session cookie Secure. Empty: the listen address.
	ExternalURL string
	// SecretKey is the base64 of the 32-byte key that seals kubeconfigs
	// (SWITCHYARD_SECRET_KEY); empty means the key file in DataDir, created
	// on first start. Replicas sharing a database must share the key.
	SecretKey string
	// DemoKubeconfig, when set, is a kubeconfig file registered as cluster
	// "local", its namespace demo bound to workspace "demo" (make demo).
	DemoKubeconfig string
	// OIDC, when its Issuer is set, adds single sign-on through that OpenID
	// provider (--oidc-* flags).
	OIDC OIDCOptions
	// InCluster, when set, is the name under which the server registers the
	// cluster it runs in, through its pod's ServiceAccount (--in-cluster).
	InCluster string
}

// DefaultOptions returns the options `make run` uses: SQLite in ./data, port 8080 on loopback.
func DefaultOptions() Options {
	return Options{Addr: "127.0.0.1:8080", DataDir: "data"}
}

// Server is a wired Switchyard: the store and everything built on it.
type Server struct {
	store    *store.Store
	clusters *cluster.Manager
	jobs     *release.Service
	notifier *notifications.Dispatcher
	api      *api.API
	handler  http.Handler
	demo     bool
	// externalURL is Options.ExternalURL, parsed (nil when unset).
	externalURL *url.URL
	// maxConnsPerClient caps each client address's open connections (Serve).
	maxConnsPerClient int
	// readTimeout and writeTimeout are ReadTimeout and WriteTimeout; tests
	// shorten them.
	readTimeout, writeTimeout time.Duration
}

// New opens the store (applying migrations), creates the first platform
// administrator if there are no users yet, checks that the secret key opens
// every stored kubeconfig, and wires the HTTP handlers. Close the server
// when done.
func New(ctx context.Context, opts Options, logger *slog.Logger) (*Server, error) {
	if opts.MaxConnsPerClient < 0 {
		return nil, errors.New("--max-conns-per-client (SWITCHYARD_MAX_CONNS_PER_CLIENT) must be a whole number of at least 1")
	}
	if opts.MaxStreamsPerUser < 0 {
		return nil, errors.New("--max-streams-per-user (SWITCHYARD_MAX_STREAMS_PER_USER) must be a whole number of at least 1")
	}
	trusted, err := proxy.ParseTrusted("--trusted-proxies", opts.TrustedProxies)
	if err != nil {
		return nil, err
	}
	external, err := proxy.ParseExternalURL("--external-url", opts.ExternalURL)
	if err != nil {
		return nil, err
	}
	if opts.DatabaseURL == "" || opts.SecretKey == "" { // it holds the database or the key file
		if err := secureDataDir(opts.DataDir, logger); err != nil {
			return nil, err
		}
	}
	st, err := store.Open(ctx, store.Options{DataDir: opts.DataDir, DatabaseURL: opts.DatabaseURL}, logger)
	if err != nil {
		return nil, err
	}
	hasher := &auth.Hasher{Cost: opts.BcryptCost}
	if err := auth.Bootstrap(ctx, st, hasher, opts.AdminPassword, logger); err != nil {
		st.Close()
		return nil, err
	}
	clusters, err := newClusters(ctx, st, opts, logger)
	if err != nil {
		st.Close()
		return nil, err
	}
	owner := replicaID()
	jobs := &release.Service{Store: st, Clusters: clusters, Logger: logger, Owner: owner, AfterStep: crashHook(logger)}
	notifier := &notifications.Dispatcher{Store: st, Jobs: jobs, Clusters: clusters, Keyring: clusters.Keyring, Owner: owner, Logger: logger}
	sso, cliSSO, err := newSSO(ctx, opts, clusters.Keyring, logger)
	if err != nil {
		clusters.Close()
		st.Close()
		return nil, err
	}
	a := &api.API{
		Store:    st,
		Auth:     auth.NewAuthenticator(st, hasher),
		Access:   &access.Checker{Store: st},
		Metrics:  api.NewMetrics(),
		Logger:   logger,
		Clusters: clusters,
		Jobs:     jobs,

		Notifications:      &notifications.Subscriptions{Store: st, Keyring: clusters.Keyring, Wake: notifier.Wake},
		MaxStreamsPerUser:  opts.MaxStreamsPerUser,
		LocalLoginDisabled: sso != nil && sso.LocalLoginDisabled,
		CLISSO:             cliSSO,
	}
	a.Metrics.WatchJobs(jobs, clusters)
	a.Metrics.WatchNotifications(st)
	// Once at start: a subscription whose secret this key does not open is named now, not only by failed deliveries.
	a.Notifications.LogUnopenedSecrets(ctx, logger)
	notifier.Attempted = a.Metrics.NotificationAttempt
	resolver := &proxy.Resolver{Trusted: trusted, ExternalURL: external}
	access := &logging.Access{Logger: logger, ClientAddr: auth.ClientAddr}
	// The resolver runs first: the access log and everything below it see the
	// forwarded client.
	handler := resolver.Handler(access.Handler(routes(a, sso)))
	return &Server{store: st, clusters: clusters, jobs: jobs, notifier: notifier, api: a, handler: handler, demo: opts.DemoKubeconfig != "", externalURL: external,
		maxConnsPerClient: cmp.Or(opts.MaxConnsPerClient, DefaultMaxConnsPerClient),
		readTimeout:       ReadTimeout, writeTimeout: WriteTimeout}, nil
}

// secureDataDir creates the data directory 0700, or makes an existing one
// 0700 (logging the change): it holds the database and the secret key file,
// and is Switchyard's own.
func secureDataDir(dir string, logger *slog.Logger) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data directory %s: %w", dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if mode := fi.Mode().Perm(); mode != 0o700 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("data directory %s has mode %04o and can't be made 0700: %w", dir, mode, err)
		}
		logger.Warn("data directory was open to others: made it 0700", "path", dir, "was", fmt.Sprintf("%04o", mode))
	}
	return nil
}

// replicaID names this server process in job leases: unique among replicas
// sharing a database.
func replicaID() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%x", host, os.Getpid(), b)
}

// Handler serves every route of the server.
func (s *Server) Handler() http.Handler { return s.handler }

// sweepSessions deletes expired sessions every interval until ctx ends.
// Expiry is enforced on every request anyway; this only keeps the table small.
func (s *Server) sweepSessions(ctx context.Context, interval time.Duration, logger *slog.Logger) {
	// A condition that never holds: the poll is a ticker that stops with ctx.
	_ = wait.PollUntilContextCancel(ctx, interval, false, func(ctx context.Context) (bool, error) {
		if _, err := s.store.DeleteExpiredSessions(ctx); err != nil && ctx.Err() == nil {
			logger.Warn("delete expired sessions", "err", err)
		}
		return false, nil
	})
}

// CloseStreams ends the API's open change streams (Run does it on shutdown;
// tests that serve Handler themselves call it before closing their server).
func (s *Server) CloseStreams() { s.api.CloseStreams() }

// Close closes the cluster connections and the store.
func (s *Server) Close() error {
	s.clusters.Close()
	return s.store.Close()
}

// Timeouts of the HTTP server. The change stream (a long-lived response)
// lifts the read and write deadlines for itself; everything else must be
// read and answered within them.
const (
	ReadHeaderTimeout = 10 * time.Second  // the request line and headers
	ReadTimeout       = 60 * time.Second  // the whole request, body included (bodies are ≤ 1 MiB)
	WriteTimeout      = 120 * time.Second // from the end of the headers to the end of the response
	IdleTimeout       = 120 * time.Second // a kept-alive connection between requests
	MaxHeaderBytes    = 64 << 10          // request line and headers
)

// limiterPruneEvery is how often the login limiters forget old failures.
const limiterPruneEvery = time.Minute

// Run serves until ctx is cancelled, then shuts down gracefully.
func Run(ctx context.Context, opts Options, logger *slog.Logger) error {
	s, err := New(ctx, opts, logger)
	if err != nil {
		return err
	}
	defer s.Close()
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", opts.Addr, err)
	}
	link := "http://" + ln.Addr().String()
	if s.externalURL != nil {
		link = s.externalURL.String()
	}
	logger.Info("switchyard listening", "url", link, "listen", ln.Addr().String(), "data_dir", opts.DataDir, "store", s.store.Dialect())
	if s.demo {
		logDemo(logger, link)
	}
	return s.Serve(ctx, ln, logger)
}

// Serve serves on ln, with the server's timeouts and per-client connection
// cap and its background work, until ctx is cancelled; then it shuts down
// gracefully and returns (ln is closed). Close the server after.
func (s *Server) Serve(ctx context.Context, ln net.Listener, logger *slog.Logger) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       s.readTimeout,
		WriteTimeout:      s.writeTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
	}
	srv.RegisterOnShutdown(s.api.CloseStreams) // live streams would hold Shutdown up
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(newPerClientListener(ln, s.maxConnsPerClient)) }()
	// Background work stops, and is waited for, before the caller's Close.
	bg, stopBG := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stopBG()
	wg.Go(func() { s.sweepSessions(bg, time.Hour, logger) })
	wg.Go(func() { s.pruneLimiters(bg, limiterPruneEvery) })
	wg.Go(func() { s.runClusters(bg, logger) })
	// Finishes job creations and deletions a crash (of this or another replica) left half done.
	wg.Go(func() { _ = s.jobs.Run(bg) })
	// Job changes other replicas make reach this one's live streams.
	wg.Go(func() { s.jobs.RelayChanges(bg) })
	// Job events to webhooks: every replica looks, the outbox keeps each event once.
	wg.Go(func() { s.notifier.Run(bg) })
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("switchyard stopped")
	return nil
}

// pruneLimiters makes the login limiters forget failures older than their
// window every interval until ctx ends, so that names tried once don't stay
// in memory.
func (s *Server) pruneLimiters(ctx context.Context, interval time.Duration) {
	_ = wait.PollUntilContextCancel(ctx, interval, false, func(context.Context) (bool, error) {
		s.api.Auth.PruneLimiters()
		return false, nil
	})
}

// routes returns the HTTP handler with every route of the server.
func routes(a *api.API, sso *web.SSO) http.Handler {
	mux := http.NewServeMux()
	a.Register(mux)
	// The web console: pages at /, /login, /w/{ws}/…, assets at /static/.
	// It reads and changes everything through the API above.
	console := &web.Console{Store: a.Store, Auth: a.Auth, Access: a.Access, Logger: a.Logger, SSO: sso}
	console.Register(mux)
	return mux
}
