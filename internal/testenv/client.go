package testenv

import (
	"context"
	"testing"

	"github.com/switchyard/switchyard/client"
)

// SignIn returns a client of the server at url signed in as user.
func SignIn(t testing.TB, url, user, password string) *client.Client {
	t.Helper()
	c, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(context.Background(), user, password); err != nil {
		t.Fatalf("login: %v", err)
	}
	return c
}
