package testenv

import (
	"net/http"
	"testing"
	"time"
)

// WaitReady polls url+"/readyz" until the server answers 200, failing the
// test after about ten seconds.
func WaitReady(t testing.TB, url string) {
	t.Helper()
	var err error
	for range 200 {
		var resp *http.Response
		resp, err = http.Get(url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server at %s never became ready: %v", url, err)
}
