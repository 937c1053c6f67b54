package server

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// MaxSecretFileBytes caps a secret file (*_FILE): keys, passwords and
// database URLs are far smaller; a bigger file is a mistake, not a secret.
const MaxSecretFileBytes = 16 << 10

// secretFile is one secret that may come from a file: the setting that
// carries it directly, the environment variable naming its file, and where
// it goes in Options.
type secretFile struct {
	direct, fileEnv string
	value           func(*Options) *string
}

var secretFiles = []secretFile{
	{"SWITCHYARD_SECRET_KEY", "SWITCHYARD_SECRET_KEY_FILE", func(o *Options) *string { return &o.SecretKey }},
	{"SWITCHYARD_ADMIN_PASSWORD", "SWITCHYARD_ADMIN_PASSWORD_FILE", func(o *Options) *string { return &o.AdminPassword }},
	{"--database-url (SWITCHYARD_DATABASE_URL)", "SWITCHYARD_DATABASE_URL_FILE", func(o *Options) *string { return &o.DatabaseURL }},
}

// ReadSecretFiles fills the secret key, the admin password and the database
// URL of opts from the files the environment names (getenv, normally
// os.Getenv: SWITCHYARD_SECRET_KEY_FILE, SWITCHYARD_ADMIN_PASSWORD_FILE,
// SWITCHYARD_DATABASE_URL_FILE), as Kubernetes Secrets are mounted. One
// trailing newline is dropped. A secret set both directly and by a file is
// an error naming both; so is a file that is missing, empty or over
// MaxSecretFileBytes.
func ReadSecretFiles(opts *Options, getenv func(string) string) error {
	for _, sf := range secretFiles {
		path := getenv(sf.fileEnv)
		if path == "" {
			continue
		}
		v := sf.value(opts)
		if *v != "" {
			return fmt.Errorf("%s and %s are both set: set one of them", sf.direct, sf.fileEnv)
		}
		secret, err := ReadSecretFile(path)
		if err != nil {
			return fmt.Errorf("%s: %w", sf.fileEnv, err)
		}
		*v = secret
	}
	return nil
}

// ReadSecretFile reads one secret from a file: at most MaxSecretFileBytes,
// one trailing newline dropped, never empty.
func ReadSecretFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxSecretFileBytes+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > MaxSecretFileBytes {
		return "", fmt.Errorf("%s is larger than %d bytes: it can't be a secret key, password or database URL", path, MaxSecretFileBytes)
	}
	s := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if s == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return s, nil
}
