package api

import (
	"regexp"
	"strconv"
	"unicode/utf8"

	"github.com/switchyard/switchyard/internal/cluster"
)

var (
	usernameRule = regexp.MustCompile(`^[a-z0-9]([-a-z0-9._]*[a-z0-9])?$`)
)

// Rules, as told to clients.
const (
	usernameText = "must be at most 64 characters: lowercase letters, digits, '.', '_' and '-', starting and ending with a letter or digit"
)

// checkDNSLabel validates a workspace or namespace name.
func checkDNSLabel(field, v string) error {
	if v == "" {
		return invalid(field, "is required")
	}
	if !cluster.IsDNSLabel(v) {
		return invalid(field, cluster.DNSLabelRule)
	}
	return nil
}

// checkUsername validates a new username.
func checkUsername(field, v string) error {
	if v == "" {
		return invalid(field, "is required")
	}
	if len(v) > 64 || !usernameRule.MatchString(v) {
		return invalid(field, usernameText)
	}
	return nil
}

// checkPassword validates a new password: bcrypt reads at most 72 bytes.
func checkPassword(field, v string) error {
	switch {
	case utf8.RuneCountInString(v) < 8:
		return invalid(field, "must be at least 8 characters")
	case len(v) > 72:
		return invalid(field, "must be at most 72 bytes")
	}
	return nil
}

// checkText validates a short free-text field such as a token name or a description.
func checkText(field, v string, required bool, maxLen int) error {
	switch {
	case required && v == "":
		return invalid(field, "is required")
	case utf8.RuneCountInString(v) > maxLen:
		return invalid(field, "must be at most "+strconv.Itoa(maxLen)+" characters")
	case !utf8.ValidString(v):
		return invalid(field, "must be valid UTF-8")
	}
	return nil
}
