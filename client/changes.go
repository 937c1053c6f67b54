package client

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Change is a notice from a workspace's change stream: something the jobs of
// Cluster/Namespace are made of changed, so re-read them. The first notice of
// every stream has Ready set and no cluster: the subscription is in place.
type Change struct {
	Cluster   string `json:"cluster"`
	Namespace string `json:"namespace"`
	Ready     bool   `json:"-"`
}

// WatchChanges reads the workspace's change stream (Server-Sent Events) and
// calls fn for each notice; with job set, only that job's namespace counts.
// It returns nil when the server ends the stream (it does so every few
// minutes: call again), ctx's error when ctx ends, and a *Error when the
// server refuses.
func (c *Client) WatchChanges(ctx context.Context, ws, job string, fn func(Change)) error {
	path := "/api/v1/workspaces/" + pathEscape(ws) + "/changes"
	if job != "" {
		path += "?job=" + url.QueryEscape(job)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base.String()+path, nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	req.Header.Set("Accept", "text/event-stream")
	c.authorize(req)
	hc := *c.http
	hc.Timeout = 0 // a stream lasts minutes; ctx bounds it
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return decodeError(resp)
	}
	err = readEvents(resp.Body, func(event, data string) {
		switch event {
		case "ready":
			fn(Change{Ready: true})
		case "change":
			var ch Change
			if json.Unmarshal([]byte(data), &ch) == nil {
				fn(ch)
			}
		}
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// readEvents parses a text/event-stream body and calls fn for each event.
// It returns nil at the end of the stream.
func readEvents(r io.Reader, fn func(event, data string)) error {
	br := bufio.NewReader(r)
	event, data := "", []string{}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("read change stream: %w", err)
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "":
			if event != "" || len(data) > 0 {
				if event == "" {
					event = "message"
				}
				fn(event, strings.Join(data, "\n"))
			}
			event, data = "", data[:0]
		case strings.HasPrefix(line, ":"): // a comment: keep-alive
		default:
			k, v, _ := strings.Cut(line, ":")
			v = strings.TrimPrefix(v, " ")
			switch k {
			case "event":
				event = v
			case "data":
				data = append(data, v)
			}
		}
	}
}
