package cli

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// One duration syntax for every flag: Go's (30s, 5m, 12h, 1h30m) plus d for
// days (90d, 1d12h). A bare number is refused, except by the token lifetime
// flags, which always counted days (--expires 90 is 90 days).

var daysPrefix = regexp.MustCompile(`^(\d+)d(.*)$`)

// parseDuration reads a non-negative duration; bareDays lets a bare number
// mean days.
func parseDuration(s string, bareDays bool) (time.Duration, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if !bareDays {
			return 0, fmt.Errorf("%q has no unit: write it like 90d, 12h, 5m or 30s", s)
		}
		if n < 0 {
			return 0, fmt.Errorf("%q is negative", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	var d time.Duration
	rest := s
	if m := daysPrefix.FindStringSubmatch(s); m != nil {
		days, err := strconv.Atoi(m[1])
		if err != nil || days > 100000 {
			return 0, fmt.Errorf("%q: too many days", s)
		}
		d, rest = time.Duration(days)*24*time.Hour, m[2]
	}
	if rest != "" || s == "" {
		more, err := time.ParseDuration(rest)
		if err != nil || (d > 0 && rest[0] == '-') {
			return 0, fmt.Errorf("%q is not a duration like 90d, 12h, 5m or 30s", s)
		}
		d += more
	}
	if d < 0 {
		return 0, fmt.Errorf("%q is negative", s)
	}
	return d, nil
}

// durationValue is a duration flag (pflag.Value) in that syntax.
type durationValue struct {
	d        *time.Duration
	bareDays bool
	set      func(time.Duration) error // checks and stores more, when not nil
}

func (v *durationValue) String() string {
	if v.d == nil {
		return ""
	}
	return formatDuration(*v.d)
}

func (v *durationValue) Set(s string) error {
	d, err := parseDuration(s, v.bareDays)
	if err != nil {
		return err
	}
	if v.set != nil {
		if err := v.set(d); err != nil {
			return err
		}
	}
	if v.d != nil {
		*v.d = d
	}
	return nil
}

func (v *durationValue) Type() string { return "duration" }

// formatDuration writes d in the flags' syntax: 10m, 5s, 90d, 1h30m.
func formatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	s := d.String()
	for _, z := range []string{"m0s", "h0m"} {
		if len(s) > len(z) && s[len(s)-len(z):] == z {
			s = s[:len(s)-len(z)+1]
		}
	}
	return s
}

// durationFlag is a duration flag with a default.
func durationFlag(d *time.Duration, def time.Duration) *durationValue {
	*d = def
	return &durationValue{d: d}
}

// secondsFlag is a duration flag stored as whole seconds, unset by default.
func secondsFlag(dst **int32) *durationValue {
	return &durationValue{set: func(d time.Duration) error {
		if d%time.Second != 0 {
			return fmt.Errorf("%v is not a whole number of seconds", d)
		}
		if d > 1<<31*time.Second {
			return fmt.Errorf("%v is too long", d)
		}
		n := int32(d / time.Second)
		*dst = &n
		return nil
	}}
}

// daysFlag is a token lifetime: whole days, 90d or a bare 90.
func daysFlag(dst *int) *durationValue {
	return &durationValue{bareDays: true, set: func(d time.Duration) error {
		if d <= 0 || d%(24*time.Hour) != 0 {
			return fmt.Errorf("a token lives a whole number of days: want a positive number of days, like 90d")
		}
		*dst = int(d / (24 * time.Hour))
		return nil
	}}
}
