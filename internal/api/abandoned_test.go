package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestAbandonedRequestNotLogged: an error that is only the request's own
// cancellation (the client went away) is not logged as a server fault; a
// real one is.
func TestAbandonedRequestNotLogged(t *testing.T) {
	var log bytes.Buffer
	a := &API{Logger: slog.New(slog.NewTextHandler(&log, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest("GET", "/api/v1/workspaces/w/changes", nil).WithContext(ctx)
	a.writeError(httptest.NewRecorder(), r, fmt.Errorf("get job %q: %w", "web", context.Canceled))
	if strings.Contains(log.String(), "request failed") {
		t.Errorf("a request the client abandoned was logged as failed:\n%s", log.String())
	}
	a.writeError(httptest.NewRecorder(), httptest.NewRequest("GET", "/x", nil), errors.New("disk on fire"))
	if !strings.Contains(log.String(), "request failed") {
		t.Errorf("a server fault was not logged:\n%s", log.String())
	}
}
