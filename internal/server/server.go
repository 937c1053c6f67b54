// Package server wires Switchyard's parts together and serves them over HTTP.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"
)

// Options configure a Switchyard server.
type Options struct {
	Addr        string // listen address, host:port
	DataDir     string // holds the SQLite database and the key file
	DatabaseURL string // postgres://…; empty means SQLite in DataDir
}

// DefaultOptions returns the options `make run` uses: SQLite in ./data, port 8080 on loopback.
func DefaultOptions() Options {
	return Options{Addr: "127.0.0.1:8080", DataDir: "data"}
}

// Run serves until ctx is cancelled, then shuts down gracefully.
func Run(ctx context.Context, opts Options, logger *slog.Logger) error {
	if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory %s: %w", opts.DataDir, err)
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", opts.Addr, err)
	}
	srv := &http.Server{
		Handler:           routes(),
		ReadHeaderTimeout: 10 * time.Second,
	}
	logger.Info("switchyard listening", "url", "http://"+ln.Addr().String(), "data_dir", opts.DataDir)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
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

// routes returns the HTTP handler with every route of the server.
func routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, placeholderPage)
	})
	return mux
}

const placeholderPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchyard</title></head>
<body><h1>Switchyard</h1><p>Blue-green release jobs on Kubernetes. The console is on its way.</p></body></html>
`
