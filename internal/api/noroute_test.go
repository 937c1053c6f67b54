package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/store"
)

// TestNoRoute: an unknown API path is a JSON 404 and a known path with the
// wrong method a JSON 405 with Allow, in the API's error format.
func TestNoRoute(t *testing.T) {
	e := newEnv(t, store.Options{DataDir: t.TempDir()})
	for _, c := range []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{"GET", "/api/v1/nope", http.StatusNotFound, "not_found", ""},
		{"GET", "/api/v1/workspaces/shop/nope/deeper", http.StatusNotFound, "not_found", ""},
		{"PATCH", "/api/v1/workspaces/shop", http.StatusMethodNotAllowed, "method_not_allowed", "GET"},
		{"PUT", "/api/v1/login", http.StatusMethodNotAllowed, "method_not_allowed", "POST"},
	} {
		req, _ := http.NewRequest(c.method, e.url+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		decErr := json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != c.status || decErr != nil || body.Error.Code != c.code || body.Error.Message == "" {
			t.Errorf("%s %s = %d %+v (%v), want %d with JSON code %s", c.method, c.path, resp.StatusCode, body, decErr, c.status, c.code)
		}
		if allow := resp.Header.Get("Allow"); !strings.Contains(allow, c.allow) || (c.allow == "") != (allow == "") {
			t.Errorf("%s %s: Allow %q, want it to name %q", c.method, c.path, allow, c.allow)
		}
	}
}
