package auth_test

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/switchyard/switchyard/internal/auth"
)

// TestLimiterPruneAll: keys that failed once are forgotten by the timed
// PruneAll once their failures leave the window, not kept until 100,000.
func TestLimiterPruneAll(t *testing.T) {
	now := time.Unix(1000, 0)
	l := &auth.Limiter{Max: 3, Window: time.Minute, Now: func() time.Time { return now }}
	for i := range 1000 {
		l.Fail(fmt.Sprintf("user:nobody-%d", i))
	}
	for range 4 {
		l.Reserve("user:locked") // refused from the fourth on, which marks it
		l.Done("user:locked", true)
	}
	if got := l.Keys(); got < 1001 {
		t.Fatalf("Keys after 1001 failing keys = %d, want at least 1001", got)
	}
	l.PruneAll()
	if got := l.Keys(); got < 1001 {
		t.Errorf("Keys after PruneAll inside the window = %d, want the 1001 kept", got)
	}
	now = now.Add(time.Minute + time.Second)
	l.PruneAll()
	if got := l.Keys(); got != 0 {
		t.Errorf("Keys after PruneAll past the window = %d, want 0", got)
	}
}

// TestReserveFirstRefusal: a locked key's first refusal says so, the later
// ones don't, and a new lockout (after the window) is a first again.
func TestReserveFirstRefusal(t *testing.T) {
	now := time.Unix(1000, 0)
	l := &auth.Limiter{Max: 2, Window: time.Minute, Now: func() time.Time { return now }}
	for range 2 {
		if wait, _ := l.Reserve("k"); wait != 0 {
			t.Fatalf("Reserve under the limit refused")
		}
		l.Done("k", true)
	}
	var firsts []bool
	for range 3 {
		wait, first := l.Reserve("k")
		if wait == 0 {
			t.Fatal("Reserve over the limit let through")
		}
		firsts = append(firsts, first)
	}
	if fmt.Sprint(firsts) != "[true false false]" {
		t.Errorf("first flags of three refusals = %v, want [true false false]", firsts)
	}
	now = now.Add(2 * time.Minute)
	for range 2 {
		l.Reserve("k")
		l.Done("k", true)
	}
	if _, first := l.Reserve("k"); !first {
		t.Error("the first refusal of a second lockout is not marked first")
	}
}

// TestHugeLoginNamesCostNothing sends 120 distinct login names of 1 MB (as
// the review did) and checks the limiters keep nothing of them and the heap
// does not grow by their size: each is refused before any state is kept.
func TestHugeLoginNamesCostNothing(t *testing.T) {
	a, _ := newAuth(t)
	a.Hasher = &auth.Hasher{Cost: bcrypt.MinCost}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	const n, size = 120, 1 << 20
	for i := range n {
		name := fmt.Sprintf("%d-%s", i, strings.Repeat("a", size))
		if _, err := a.Login(t.Context(), name, "x", "10.0.0.1"); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("login %d with a 1 MB name: err = %v, want ErrBadCredentials", i, err)
		}
	}
	if keys := a.UserLimiter.Keys() + a.AddrLimiter.Keys(); keys != 0 {
		t.Errorf("limiters hold %d keys after %d huge names, want 0", keys, n)
	}
	// 120 MB of names went through; what stays must be far below one of them.
	grew := int64(heap()) - int64(before)
	t.Logf("heap after %d login names of %d bytes: %+d bytes", n, size, grew)
	if grew > size/2 {
		t.Errorf("heap grew by %d bytes after %d names of %d bytes, want O(1) (< %d)", grew, n, size, size/2)
	}
	// A name at the limit still counts against the limiter as before.
	a.Login(t.Context(), strings.Repeat("b", auth.MaxUsernameLen), "x", "10.0.0.1")
	if a.UserLimiter.Keys() != 1 {
		t.Errorf("a name of exactly MaxUsernameLen bytes is not rate limited")
	}
}

// TestBootstrapPasswordRule: a first-start admin password from the
// environment obeys the rule every new password does.
func TestBootstrapPasswordRule(t *testing.T) {
	s := openStore(t)
	h := &auth.Hasher{Cost: bcrypt.MinCost}
	err := auth.Bootstrap(t.Context(), s, h, "short", nil)
	if err == nil || !strings.Contains(err.Error(), "at least 8 characters") {
		t.Errorf("Bootstrap with a 5-character password: err = %v, want one saying at least 8 characters", err)
	}
	if n, _ := s.CountUsers(t.Context()); n != 0 {
		t.Errorf("Bootstrap with a refused password created %d users", n)
	}
}
