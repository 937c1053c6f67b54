package api

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/auth"
	"github.com/switchyard/switchyard/internal/cluster"
)

// Live streams: the console and `job watch` learn that a job changed from a
// Server-Sent Events stream instead of polling, and then re-read it.
const (
	// DefaultStreamLifetime ends a stream after a while; EventSource and the
	// CLI reconnect at once, which also picks up new namespace bindings.
	DefaultStreamLifetime = 10 * time.Minute
	// streamKeepAlive is how often an idle stream sends a comment, so that
	// proxies and the client see it is alive.
	streamKeepAlive = 15 * time.Second
	// streamCoalesce gathers the burst of informer events one change makes
	// (a ReplicaSet, its pods, the Rollout's status, events) into one notice.
	streamCoalesce = 50 * time.Millisecond
)

func (a *API) changeRoutes() []route {
	return []route{
		{pattern: "GET /api/v1/workspaces/{ws}/changes", handle: a.changes},
	}
}

// DefaultMaxStreamsPerUser caps the change streams one user may hold open
// at once (API.MaxStreamsPerUser): each is a connection and a subscription.
// The console opens one per tab.
const DefaultMaxStreamsPerUser = 16

// streams ends every open stream when the server shuts down (see
// CloseStreams) and counts each user's open streams.
type streams struct {
	once sync.Once
	done chan struct{}

	mu     sync.Mutex
	byUser map[int64]int
	ended  map[int64]chan struct{} // closed by endUser: the user's open streams stop
}

// endUser stops the user's open streams (disabled or deleted) on this
// replica; streams on other replicas stop at their next keep-alive, which
// authenticates again.
func (s *streams) endUser(userID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch, ok := s.ended[userID]; ok {
		close(ch)
		delete(s.ended, userID)
	}
}

// endedFor returns the channel endUser closes for the user.
func (s *streams) endedFor(userID int64) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended == nil {
		s.ended = map[int64]chan struct{}{}
	}
	ch, ok := s.ended[userID]
	if !ok {
		ch = make(chan struct{})
		s.ended[userID] = ch
	}
	return ch
}

// open takes one of the user's max stream slots; release gives it back.
// ok is false when the user has max streams open already.
func (s *streams) open(userID int64, max int) (release func(), ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byUser[userID] >= max {
		return nil, false
	}
	if s.byUser == nil {
		s.byUser = map[int64]int{}
	}
	s.byUser[userID]++
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.byUser[userID]--; s.byUser[userID] <= 0 {
			delete(s.byUser, userID)
		}
	}, true
}

func (s *streams) closed() chan struct{} {
	s.once.Do(func() { s.done = make(chan struct{}) })
	return s.done
}

// CloseStreams ends every open change stream, so that a graceful shutdown
// does not wait for them; register it with http.Server.RegisterOnShutdown.
func (a *API) CloseStreams() {
	done := a.streams.closed()
	select {
	case <-done:
	default:
		close(done)
	}
}

// changeJSON is the data of a change event.
type changeJSON struct {
	Cluster   string `json:"cluster"`
	Namespace string `json:"namespace"`
}

// changes streams a notice (event "change") each time something the jobs of
// the workspace are made of changes: their Rollouts, ReplicaSets, pods,
// Deployments, Kubernetes events, or the job records. With ?job=NAME only
// that job's namespace counts. A notice carries no job data: the client
// re-reads what it shows, with its own filters and permissions.
func (a *API) changes(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ctx := r.Context()
	ws, err := a.workspace(r, p, access.JobView)
	if err != nil {
		return err
	}
	maxStreams := cmp.Or(a.MaxStreamsPerUser, DefaultMaxStreamsPerUser)
	release, ok := a.streams.open(p.User.ID, maxStreams)
	if !ok {
		return &Error{Status: http.StatusTooManyRequests, Code: "too_many_streams",
			Message: fmt.Sprintf("you have %d change streams open already (the most allowed): close a console tab or a job watch", maxStreams)}
	}
	defer release()
	// Before "ready" is sent: a disable right after it must end this stream.
	ended := a.streams.endedFor(p.User.ID)
	type key struct {
		cluster int64
		ns      string
	}
	watched := map[key]string{} // → cluster name
	if name := r.URL.Query().Get("job"); name != "" {
		job, err := a.Store.GetJobByName(ctx, ws.ID, name)
		if err != nil {
			return err
		}
		watched[key{job.ClusterID, job.Namespace}] = job.ClusterName
	} else {
		bs, err := a.Store.ListBindings(ctx, ws.ID)
		if err != nil {
			return err
		}
		for _, b := range bs {
			watched[key{b.ClusterID, b.Namespace}] = b.ClusterName
		}
	}
	var mu sync.Mutex
	var pending []changeJSON
	seen := map[key]bool{}
	signal, cancel := a.Clusters.Changes.Subscribe(func(c cluster.Change) bool {
		k := key{c.ClusterID, c.Namespace}
		name, ok := watched[k]
		if ok {
			mu.Lock()
			if !seen[k] {
				seen[k] = true
				pending = append(pending, changeJSON{Cluster: name, Namespace: c.Namespace})
			}
			mu.Unlock()
		}
		return ok
	})
	defer cancel()
	// Informers publish only once their cluster is connected: connect the
	// watched clusters that nothing has needed yet. Their first fill is
	// published like any change, so the client re-reads once it is in.
	clusters := map[int64]bool{}
	for k := range watched {
		clusters[k.cluster] = true
	}
	for id := range clusters {
		go func() { _, _ = a.Clusters.Conn(ctx, id) }() // unreachable: its jobs show Unknown anyway
	}

	rc := http.NewResponseController(w)
	// The server's read and write timeouts bound ordinary requests; a
	// stream lives until StreamLifetime instead (past the write deadline
	// its next write would fail). Writers without deadlines have nothing to lift.
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// Tell EventSource to reconnect after 1 s, and the client that it is subscribed.
	if _, err := fmt.Fprint(w, "retry: 1000\nevent: ready\ndata: {}\n\n"); err != nil {
		return nil
	}
	if err := rc.Flush(); err != nil {
		return nil // the writer cannot stream; nothing more to do
	}
	lifetime := a.StreamLifetime
	if lifetime <= 0 {
		lifetime = DefaultStreamLifetime
	}
	end := time.NewTimer(lifetime)
	defer end.Stop()
	keepAlive := time.NewTicker(cmp.Or(a.StreamKeepAlive, streamKeepAlive))
	defer keepAlive.Stop()
	closed := a.streams.closed()
	for {
		var out []byte
		select {
		case <-ctx.Done():
			return nil
		case <-closed:
			return nil
		case <-end.C:
			return nil
		case <-ended:
			return nil
		case <-keepAlive.C:
			if _, err := a.Auth.Authenticate(r); err != nil {
				return nil // signed out, disabled or deleted meanwhile (perhaps through another replica)
			}
			out = []byte(": keep-alive\n\n")
		case <-signal:
			select { // let the rest of the burst arrive
			case <-time.After(streamCoalesce):
			case <-ctx.Done():
				return nil
			}
			mu.Lock()
			batch := pending
			pending, seen = nil, map[key]bool{}
			mu.Unlock()
			for _, c := range batch {
				data, _ := json.Marshal(c)
				out = fmt.Appendf(out, "event: change\ndata: %s\n\n", data)
			}
		}
		if len(out) == 0 {
			continue
		}
		if _, err := w.Write(out); err != nil {
			return nil
		}
		if err := rc.Flush(); err != nil {
			return nil
		}
	}
}
