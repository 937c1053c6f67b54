package oidc

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
)

// explain turns a refusal of the library into the reason a person can act on. It
// reads the token's claims without trusting them: the token is already refused, the
// claims only say why (another issuer's token fails its signature check here first,
// and "issued by another issuer" is the useful message).
func (p *Provider) explain(raw string, fallback, err error) error {
	var c struct {
		Issuer   string          `json:"iss"`
		Audience json.RawMessage `json:"aud"`
	}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return &Error{Reason: ErrMalformed, Field: "id_token", Detail: "not a signed JWT", Err: err}
	}
	payload, derr := base64.RawURLEncoding.DecodeString(parts[1])
	if derr != nil || json.Unmarshal(payload, &c) != nil {
		return &Error{Reason: ErrMalformed, Field: "id_token", Detail: "payload is not JSON", Err: err}
	}
	if c.Issuer != p.cfg.Issuer {
		return &Error{Reason: ErrWrongIssuer, Field: "iss", Detail: fmt.Sprintf("issued by %q, want %q", c.Issuer, p.cfg.Issuer), Err: err}
	}
	if aud := audience(c.Audience); !slices.Contains(aud, p.cfg.ClientID) {
		return &Error{Reason: ErrWrongAudience, Field: "aud", Detail: fmt.Sprintf("issued for %q, want %q", aud, p.cfg.ClientID), Err: err}
	}
	return &Error{Reason: fallback, Field: "id_token", Err: err}
}

// audience reads "aud", a string or an array of strings (RFC 7519 section 4.1.3).
func audience(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(raw, &many)
	return many
}

func (p *Provider) mapClaims(tok *gooidc.IDToken) (Identity, error) {
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return Identity{}, &Error{Reason: ErrMalformed, Field: "id_token", Detail: "claims are not a JSON object", Err: err}
	}
	return MapClaims(claims, p.cfg.UsernameClaim, p.cfg.GroupsClaim)
}

// MapClaims maps the claims of a verified ID token to an Identity. usernameClaim
// empty means preferred_username, then email, then sub; groupsClaim empty means
// DefaultGroups. A groups claim may be an array of strings or one string, or absent
// (no groups); anything else, an empty or too long value, or more than MaxGroups
// groups is refused with ErrBadClaim naming the claim.
func MapClaims(claims map[string]any, usernameClaim, groupsClaim string) (Identity, error) {
	if groupsClaim == "" {
		groupsClaim = DefaultGroups
	}
	var id Identity
	var err error
	if id.Subject, err = stringClaim(claims, "sub", true); err != nil {
		return Identity{}, err
	}
	if id.Email, err = stringClaim(claims, "email", false); err != nil {
		return Identity{}, err
	}
	if id.Name, err = stringClaim(claims, "name", false); err != nil {
		return Identity{}, err
	}
	if id.Username, err = username(claims, usernameClaim); err != nil {
		return Identity{}, err
	}
	if id.Groups, err = groups(claims, groupsClaim); err != nil {
		return Identity{}, err
	}
	return id, nil
}

func username(claims map[string]any, claim string) (string, error) {
	if claim != "" {
		return stringClaim(claims, claim, true)
	}
	for _, c := range []string{"preferred_username", "email", "sub"} {
		v, err := stringClaim(claims, c, false)
		if err != nil || v != "" {
			return v, err
		}
	}
	return "", fail(ErrBadClaim, "sub", "is missing")
}

func stringClaim(claims map[string]any, name string, required bool) (string, error) {
	v, ok := claims[name]
	if !ok || v == nil {
		if required {
			return "", fail(ErrBadClaim, name, "is missing")
		}
		return "", nil
	}
	s, ok := v.(string)
	switch {
	case !ok:
		return "", fail(ErrBadClaim, name, "is a %T, want a string", v)
	case required && s == "":
		return "", fail(ErrBadClaim, name, "is empty")
	case len(s) > MaxClaimLen:
		return "", fail(ErrBadClaim, name, "longer than %d bytes", MaxClaimLen)
	}
	return s, nil
}

func groups(claims map[string]any, claim string) ([]string, error) {
	var list []any
	switch v := claims[claim].(type) {
	case nil:
		return nil, nil
	case string:
		list = []any{v}
	case []any:
		list = v
	default:
		return nil, fail(ErrBadClaim, claim, "is a %T, want an array of strings", v)
	}
	if len(list) > MaxGroups {
		return nil, fail(ErrBadClaim, claim, "has %d groups, at most %d are accepted", len(list), MaxGroups)
	}
	out := make([]string, 0, len(list))
	for i, g := range list {
		s, ok := g.(string)
		switch {
		case !ok:
			return nil, fail(ErrBadClaim, claim, "item %d is a %T, want a string", i, g)
		case s == "" || len(s) > MaxClaimLen:
			return nil, fail(ErrBadClaim, claim, "item %d is empty or longer than %d bytes", i, MaxClaimLen)
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
