package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// APITokenPrefix starts every personal API token, so leaked tokens are easy
// to recognise (and to scan for).
const APITokenPrefix = "sy_"

// apiTokenShownPrefix is how many characters of a token are kept in clear
// to tell a user's tokens apart.
const apiTokenShownPrefix = len(APITokenPrefix) + 6

// randomToken returns 32 random bytes, URL-safe base64 encoded.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand panics instead)
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken returns the hex SHA-256 of a token: what the store keeps for
// session cookies and API tokens.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// NewAPIToken returns a fresh API token, the prefix to show for it and its hash.
func NewAPIToken() (token, prefix, hash string) {
	token = APITokenPrefix + randomToken()
	return token, token[:apiTokenShownPrefix], HashToken(token)
}

// IsAPIToken reports whether s looks like a personal API token.
func IsAPIToken(s string) bool { return strings.HasPrefix(s, APITokenPrefix) }
