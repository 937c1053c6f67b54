package cluster

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func randomKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, keySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func newTestKeyring(t *testing.T) *Keyring {
	t.Helper()
	k, err := NewKeyring(randomKey(t))
	if err != nil {
		t.Fatalf("NewKeyring: %v", err)
	}
	return k
}

func TestKeyringSealOpen(t *testing.T) {
	k := newTestKeyring(t)
	plain := []byte("apiVersion: v1\nkind: Config\n")
	a, err := k.Seal(plain)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	b, _ := k.Seal(plain)
	if bytes.Equal(a, b) {
		t.Error("two seals of the same plaintext are equal; want a fresh nonce each time")
	}
	if bytes.Contains(a, plain) {
		t.Error("sealed blob contains the plaintext")
	}
	if a[0] != sealVersion1 {
		t.Errorf("version byte = %d, want %d", a[0], sealVersion1)
	}
	got, err := k.Open(a)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Open = %q, %v; want %q, nil", got, err, plain)
	}
}

func TestKeyringOpenFailures(t *testing.T) {
	k := newTestKeyring(t)
	sealed, _ := k.Seal([]byte("secret kubeconfig"))
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	otherVersion := bytes.Clone(sealed)
	otherVersion[0] = 2
	tests := []struct {
		name    string
		keyring *Keyring
		blob    []byte
		want    string
	}{
		{"other key", newTestKeyring(t), sealed, "sealed with key"},
		{"tampered", k, tampered, "authentication failed"},
		{"unknown version", k, otherVersion, "unknown format"},
		{"truncated", k, sealed[:10], "unknown format"},
		{"empty", k, nil, "unknown format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.keyring.Open(tt.blob)
			if !errors.Is(err, ErrWrongKey) {
				t.Fatalf("Open error = %v, want ErrWrongKey", err)
			}
			if got != nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open = %q, %q; want nil and an error containing %q", got, err, tt.want)
			}
		})
	}
}

func TestLoadKeyringFromEnv(t *testing.T) {
	key := randomKey(t)
	tests := []struct {
		name    string
		env     string
		wantErr string // empty: no error
	}{
		{"valid", base64.StdEncoding.EncodeToString(key), ""},
		{"valid with newline", base64.StdEncoding.EncodeToString(key) + "\n", ""},
		{"not base64", "not-base64!!", "not valid base64"},
		{"16 bytes", base64.StdEncoding.EncodeToString(key[:16]), "got 16 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			k, err := LoadKeyring(dir, tt.env)
			if tt.wantErr == "" {
				want, _ := NewKeyring(key)
				if err != nil || k.KeyID() != want.KeyID() {
					t.Fatalf("LoadKeyring = %v, %v; want key %s", k, err, want.KeyID())
				}
				if _, err := os.Stat(filepath.Join(dir, KeyFileName)); !os.IsNotExist(err) {
					t.Errorf("key file exists (stat err %v); want none when the key comes from the environment", err)
				}
				return
			}
			if !errors.Is(err, ErrBadKey) || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "SWITCHYARD_SECRET_KEY") {
				t.Fatalf("LoadKeyring error = %v; want ErrBadKey naming SWITCHYARD_SECRET_KEY and containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), tt.env) {
				t.Errorf("error %q repeats the secret value", err)
			}
		})
	}
}

func TestLoadKeyringKeyFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // not yet there
	first, err := LoadKeyring(dir, "")
	if err != nil {
		t.Fatalf("first LoadKeyring: %v", err)
	}
	path := filepath.Join(dir, KeyFileName)
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v; want mode 0600", err, info.Mode().Perm())
	}
	second, err := LoadKeyring(dir, "")
	if err != nil || second.KeyID() != first.KeyID() {
		t.Fatalf("second LoadKeyring = key %v, %v; want the same key %s", second, err, first.KeyID())
	}
	sealed, _ := first.Seal([]byte("x"))
	if _, err := second.Open(sealed); err != nil {
		t.Errorf("reloaded keyring cannot open: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("data dir has %d entries, want only %s", len(entries), KeyFileName)
	}
}

func TestLoadKeyringBadKeyFile(t *testing.T) {
	valid := base64.StdEncoding.EncodeToString(randomKey(t))
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		wantErr string
	}{
		{"readable by others", valid, 0o644, "mode 0644"},
		{"readable by group", valid, 0o640, "mode 0640"},
		{"short key", base64.StdEncoding.EncodeToString([]byte("short")), 0o600, "got 5 bytes"},
		{"not base64", "%%%%", 0o600, "not valid base64"},
		{"empty", "", 0o600, "got 0 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, KeyFileName)
			if err := os.WriteFile(path, []byte(tt.content), tt.mode); err != nil {
				t.Fatal(err)
			}
			os.Chmod(path, tt.mode) // umask may have narrowed it
			_, err := LoadKeyring(dir, "")
			if !errors.Is(err, ErrBadKey) || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), path) {
				t.Fatalf("LoadKeyring error = %v; want ErrBadKey naming %s and containing %q", err, path, tt.wantErr)
			}
		})
	}
	t.Run("no key at all", func(t *testing.T) {
		if _, err := LoadKeyring("", ""); !errors.Is(err, ErrBadKey) {
			t.Fatalf("LoadKeyring(\"\", \"\") error = %v, want ErrBadKey", err)
		}
	})
}
