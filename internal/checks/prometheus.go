package checks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// QueryTimeout bounds how long a Prometheus server may take to judge a query.
const QueryTimeout = 5 * time.Second

// CheckQueries asks the Prometheus server of each prometheus check whether
// its query parses (/api/v1/parse_query, or an instant query on servers
// older than 2.48 that lack it). A query the server rejects is a
// *FieldError on its checks[i].query with the server's words. A server that
// can't be reached from here is only a warning: the Argo controller may well
// reach an in-cluster address that Switchyard does not.
func CheckQueries(ctx context.Context, client *http.Client, cs []Check) (warnings []string, err error) {
	if client == nil {
		client = &http.Client{Timeout: QueryTimeout}
	}
	var errs []error
	for i, c := range cs {
		if c.Kind != KindPrometheus {
			continue
		}
		rejected, unreachable := askPrometheus(ctx, client, c.Address, Expand(c.Query, sampleValues))
		switch {
		case rejected != "":
			errs = append(errs, &FieldError{Field: fmt.Sprintf("checks[%d].query", i), Rule: "Prometheus rejects the query: " + rejected})
		case unreachable != nil:
			warnings = append(warnings, fmt.Sprintf("check %s: the query was not validated: Prometheus at %s could not be asked (%v)", c.Name, c.Address, unreachable))
		}
	}
	return warnings, errors.Join(errs...)
}

// promAnswer is the envelope of every Prometheus HTTP API answer.
type promAnswer struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
}

// askPrometheus returns the server's reason for rejecting query, or an
// error when it could not say.
func askPrometheus(ctx context.Context, client *http.Client, address, query string) (rejected string, unreachable error) {
	base := strings.TrimRight(address, "/")
	for _, path := range []string{"/api/v1/parse_query", "/api/v1/query"} {
		ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, strings.NewReader(url.Values{"query": {query}}.Encode()))
		if err != nil {
			cancel()
			return "", err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := client.Do(req)
		if err != nil {
			cancel()
			return "", err
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		cancel()
		if err != nil {
			return "", err
		}
		if resp.StatusCode == http.StatusNotFound && path == "/api/v1/parse_query" {
			continue // a server before 2.48: ask it to run the query instead
		}
		var a promAnswer
		if err := json.Unmarshal(body, &a); err != nil || a.Status == "" {
			return "", fmt.Errorf("%s answered %s, not the Prometheus API", path, resp.Status)
		}
		if a.Status == "error" && a.ErrorType == "bad_data" {
			return a.Error, nil
		}
		if a.Status == "error" {
			return "", fmt.Errorf("%s: %s", a.ErrorType, a.Error)
		}
		return "", nil
	}
	return "", errors.New("no query endpoint")
}
