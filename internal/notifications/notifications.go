// Package notifications sends a workspace's job events to webhooks.
//
// A subscription names a URL, the event kinds it wants and a body format
// (generic JSON or a Slack-compatible incoming-webhook message). Events come
// from what the cluster does: every replica watches its informers (the
// cluster.Changes stream) and derives, from each job's Rollout, the events
// it shows, each with a key made of what the cluster says (job, kind,
// revision and pod hash, or Argo's abortedAt). The store's outbox keeps one
// row per key, so replicas that see the same thing record it once, and
// queues one delivery per subscription in the same transaction. Deliveries
// are claimed with a lease, signed with HMAC-SHA256 and retried with
// exponential backoff; each attempt goes into the subscription's delivery log.
package notifications

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/switchyard/switchyard/internal/store"
)

// Kind is what happened to a job.
type Kind string

// The event kinds a subscription may ask for.
const (
	KindAwaitingPromotion Kind = "awaiting-promotion" // the new version is ready: someone may promote
	KindPromoted          Kind = "promoted"           // traffic moved to the new version
	KindSwitchedBack      Kind = "switched-back"      // traffic went back to an older version (a check after the switch failed, or a rollback)
	KindAborted           Kind = "aborted"            // the release stopped before the switch: traffic stays on the old version
	KindCheckFailed       Kind = "check-failed"       // an analysis run (a check) failed and Argo aborted
	KindDegraded          Kind = "degraded"           // the release is Degraded
	KindDeleted           Kind = "deleted"            // the job was deleted
)

// KindTest is the event "notification test" sends to one subscription to
// try it; no subscription asks for it, and it names no job.
const KindTest Kind = store.EventTest

// Kinds lists every event kind, in the order the documentation gives them.
var Kinds = []Kind{KindAwaitingPromotion, KindPromoted, KindSwitchedBack, KindAborted, KindCheckFailed, KindDegraded, KindDeleted}

// The headers of a delivery. The signature is over "<timestamp>.<body>", so
// a receiver that checks the timestamp is recent can refuse replays.
const (
	HeaderEvent     = "X-Switchyard-Event"     // the event kind
	HeaderDelivery  = "X-Switchyard-Delivery"  // the same on every retry of one event to one subscription: the idempotency key
	HeaderTimestamp = "X-Switchyard-Timestamp" // Unix seconds when this attempt was signed
	HeaderSignature = "X-Switchyard-Signature" // "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body)
)

// Limits on a subscription.
const (
	maxEventEntries              = 14 // twice the kinds: repeats are forgiven, lists of thousands are not
	MaxURLLen                    = 2048
	MinSecretLen                 = 16
	MaxSecretLen                 = 256
	MaxSubscriptionsPerWorkspace = 20
)

// Request is what a user asks for to subscribe.
type Request struct {
	URL    string
	Events []string // empty: every kind
	Format string   // empty: json
	Secret string   // empty: one is generated
}

// Check validates a request and returns it normalised: events sorted in
// Kinds order without duplicates, format set. Every field is checked for
// size before anything else is done with it.
func (r Request) Check() (Request, error) {
	var errs []error
	bad := func(field, problem string) {
		errs = append(errs, &store.ValidationError{Field: field, Problem: problem})
	}
	if err := checkURL(r.URL); err != nil {
		bad("url", err.Error())
	}
	switch {
	case len(r.Events) > maxEventEntries:
		bad("events", fmt.Sprintf("must have at most %d entries (there are %d event kinds)", maxEventEntries, len(Kinds)))
	case len(r.Events) == 0:
		r.Events = kindStrings(Kinds)
	default:
		want := map[Kind]bool{}
		for _, e := range r.Events {
			if !slices.Contains(Kinds, Kind(e)) {
				bad("events", fmt.Sprintf("%q is not an event kind: use %s", truncate(e, 40), strings.Join(kindStrings(Kinds), ", ")))
				break
			}
			want[Kind(e)] = true
		}
		r.Events = nil
		for _, k := range Kinds {
			if want[k] {
				r.Events = append(r.Events, string(k))
			}
		}
	}
	switch r.Format {
	case "":
		r.Format = store.FormatJSON
	case store.FormatJSON, store.FormatSlack:
	default:
		bad("format", fmt.Sprintf("must be %s or %s, not %q", store.FormatJSON, store.FormatSlack, truncate(r.Format, 40)))
	}
	switch n := len(r.Secret); {
	case n == 0:
	case n < MinSecretLen || n > MaxSecretLen:
		bad("secret", fmt.Sprintf("must be %d to %d bytes long", MinSecretLen, MaxSecretLen))
	case strings.ContainsFunc(r.Secret, unicode.IsControl):
		bad("secret", "must not contain control characters")
	}
	return r, errors.Join(errs...)
}

// checkURL is the rule for a webhook URL: absolute http or https with a
// host, no user information (a password would show in the list), at most
// MaxURLLen bytes. Private and loopback addresses are allowed: receivers
// inside the cluster or on the server's host are common (see README).
func checkURL(raw string) error {
	switch {
	case raw == "":
		return errors.New("is required")
	case len(raw) > MaxURLLen:
		return fmt.Errorf("must be at most %d bytes", MaxURLLen)
	case strings.ContainsFunc(raw, unicode.IsControl):
		return errors.New("must not contain control characters")
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return errors.New("is not a valid URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("must start with http:// or https://, not %q", truncate(u.Scheme, 20)+":")
	case u.Host == "" || u.Hostname() == "":
		return errors.New("must name a host")
	case u.User != nil:
		return errors.New("must not hold a user name or password: put credentials in the path or use the signature")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return errors.New("has an invalid port")
		}
	}
	return nil
}

// truncate cuts s to at most n bytes (and an ellipsis), never inside a
// character, and makes it printable: it ends up in the delivery log and in
// error messages, and PostgreSQL refuses invalid UTF-8 and NUL.
func truncate(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func kindStrings(ks []Kind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}

// NewSecret returns a random signing secret (32 bytes, hex).
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// Sign returns the X-Switchyard-Signature value of a body sent at timestamp
// (Unix seconds): "sha256=" and the hex HMAC-SHA256 of "<timestamp>.<body>".
func Sign(secret []byte, timestamp int64, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strconv.FormatInt(timestamp, 10)))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether signature is Sign's for the body and timestamp,
// in constant time: what a receiver does (the tests use it).
func Verify(secret []byte, timestamp string, body []byte, signature string) bool {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return false
	}
	return hmac.Equal([]byte(Sign(secret, ts, body)), []byte(signature))
}
