package auth

import (
	"fmt"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// DefaultBcryptCost is the bcrypt cost used in production.
const DefaultBcryptCost = 12

// Password length rules: bcrypt reads at most MaxPasswordBytes.
const (
	MinPasswordChars = 8
	MaxPasswordBytes = 72
)

// PasswordRule returns the rule a new password breaks, as told to users
// ("must be at least 8 characters"), or "" when it is acceptable. Every new
// password (users, password changes, the bootstrap admin's) goes through it.
func PasswordRule(v string) string {
	switch {
	case utf8.RuneCountInString(v) < MinPasswordChars:
		return fmt.Sprintf("must be at least %d characters", MinPasswordChars)
	case len(v) > MaxPasswordBytes:
		return fmt.Sprintf("must be at most %d bytes", MaxPasswordBytes)
	}
	return ""
}

// Hasher hashes and checks passwords with bcrypt.
type Hasher struct {
	// Cost is the bcrypt cost; 0 means DefaultBcryptCost. Tests lower it to
	// bcrypt.MinCost to stay fast.
	Cost int

	dummyOnce sync.Once
	dummy     []byte
}

// Hash returns the bcrypt hash of password. Passwords longer than 72 bytes
// are refused by bcrypt; validate length before calling.
func (h *Hasher) Hash(password string) (string, error) {
	b, err := bcrypt.GenerateFromPassword([]byte(password), h.cost())
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(b), nil
}

// Verify reports whether password matches hash.
func (h *Hasher) Verify(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// VerifyNothing spends the time of a Verify, so a login for an unknown user
// takes as long as one with a wrong password and does not reveal which users exist.
func (h *Hasher) VerifyNothing(password string) {
	h.dummyOnce.Do(func() {
		h.dummy, _ = bcrypt.GenerateFromPassword([]byte("not a password"), h.cost())
	})
	_ = bcrypt.CompareHashAndPassword(h.dummy, []byte(password))
}

func (h *Hasher) cost() int {
	if h.Cost == 0 {
		return DefaultBcryptCost
	}
	return h.Cost
}
