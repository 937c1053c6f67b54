package api

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/switchyard/switchyard/internal/auth"
	"github.com/switchyard/switchyard/internal/cluster"
)

var (
	usernameRule = regexp.MustCompile(`^[a-z0-9]([-a-z0-9._]*[a-z0-9])?$`)
)

// Rules, as told to clients.
var (
	usernameText    = fmt.Sprintf("must be at most %d characters: lowercase letters, digits, '.', '_' and '-', starting and ending with a letter or digit", auth.MaxUsernameLen)
	usernameTooLong = fmt.Sprintf("must be at most %d characters", auth.MaxUsernameLen)
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
	if len(v) > auth.MaxUsernameLen || !usernameRule.MatchString(v) {
		return invalid(field, usernameText)
	}
	return nil
}

// checkLoginName refuses a login name no user can have, before the rate
// limiter and the audit log see it (so a huge name costs neither memory nor
// disk).
func checkLoginName(field, v string) error {
	if len(v) > auth.MaxUsernameLen {
		return invalid(field, usernameTooLong)
	}
	return nil
}

// checkPassword validates a new password (auth.CheckPassword's rule).
func checkPassword(field, v string) error {
	if rule := auth.PasswordRule(v); rule != "" {
		return invalid(field, rule)
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
	case strings.ContainsFunc(v, unicode.IsControl):
		return invalid(field, "must not contain control characters (tab, newline, U+0000–U+001F, U+007F–U+009F)")
	}
	return nil
}
