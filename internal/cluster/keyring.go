package cluster

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// KeyFileName is the key file LoadKeyring creates in the data directory when
// no key is given in the environment.
const KeyFileName = "secret.key"

const (
	keySize      = 32 // AES-256
	sealVersion1 = 1
	keyIDSize    = 4
	// header is version byte + key ID; the nonce follows.
	headerSize = 1 + keyIDSize
)

// Keyring seals and opens kubeconfigs with AES-256-GCM. A sealed blob is
// version (1 byte) | key ID (4 bytes) | nonce (12 bytes) | ciphertext+tag. The
// key ID (a hash prefix of the key, which reveals nothing usable about it)
// tells "sealed with another key" apart from corruption in error messages.
type Keyring struct {
	aead  cipher.AEAD
	keyID [keyIDSize]byte
	seed  []byte // for Derive: a hash of the key, never the key itself
}

// NewKeyring returns a keyring for a 32-byte key.
func NewKeyring(key []byte) (*Keyring, error) {
	if len(key) != keySize {
		return nil, fmt.Errorf("%w: want %d bytes, got %d", ErrBadKey, keySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadKey, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadKey, err)
	}
	k := &Keyring{aead: aead}
	sum := sha256.Sum256(append([]byte("switchyard key id\x00"), key...))
	copy(k.keyID[:], sum[:])
	seed := sha256.Sum256(append([]byte("switchyard derive\x00"), key...))
	k.seed = seed[:]
	return k, nil
}

// Derive returns a 32-byte key for another purpose (e.g. "oidc flow"),
// derived from the secret key with HMAC-SHA256: the same on every replica
// sharing the key, useless for opening kubeconfigs.
func (k *Keyring) Derive(purpose string) []byte {
	m := hmac.New(sha256.New, k.seed)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// KeyID is a short, non-secret identifier of the key, for logs and errors.
func (k *Keyring) KeyID() string { return hex.EncodeToString(k.keyID[:]) }

// Seal encrypts plaintext with a fresh random nonce.
func (k *Keyring) Seal(plaintext []byte) ([]byte, error) {
	out := make([]byte, headerSize+k.aead.NonceSize(), headerSize+k.aead.NonceSize()+len(plaintext)+k.aead.Overhead())
	out[0] = sealVersion1
	copy(out[1:headerSize], k.keyID[:])
	nonce := out[headerSize:]
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal: read nonce: %w", err)
	}
	header := out[:headerSize]
	return k.aead.Seal(out, nonce, plaintext, header), nil
}

// Open decrypts a blob made by Seal. A blob sealed with another key, or
// altered, gives an error matching ErrWrongKey.
func (k *Keyring) Open(sealed []byte) ([]byte, error) {
	min := headerSize + k.aead.NonceSize() + k.aead.Overhead()
	if len(sealed) < min || sealed[0] != sealVersion1 {
		return nil, fmt.Errorf("open sealed kubeconfig: unknown format (version byte or length): %w", ErrWrongKey)
	}
	if id := sealed[1:headerSize]; !bytes.Equal(id, k.keyID[:]) {
		return nil, fmt.Errorf("open sealed kubeconfig: sealed with key %x, this server has key %s: %w", id, k.KeyID(), ErrWrongKey)
	}
	nonce := sealed[headerSize : headerSize+k.aead.NonceSize()]
	plain, err := k.aead.Open(nil, nonce, sealed[headerSize+k.aead.NonceSize():], sealed[:headerSize])
	if err != nil {
		return nil, fmt.Errorf("open sealed kubeconfig: authentication failed (corrupted): %w", ErrWrongKey)
	}
	return plain, nil
}

// LoadKeyring returns the keyring of the server. envValue (from
// SWITCHYARD_SECRET_KEY) is the base64 of 32 bytes; when it is empty the key
// is read from <dataDir>/secret.key (same format), which is created with mode
// 0600 on first start. A malformed key, or a key file that others may read,
// is an error matching ErrBadKey. Replicas sharing one database must share
// the key: give them the same SWITCHYARD_SECRET_KEY.
func LoadKeyring(dataDir, envValue string) (*Keyring, error) {
	if envValue != "" {
		key, err := decodeKey(envValue)
		if err != nil {
			return nil, fmt.Errorf("SWITCHYARD_SECRET_KEY: %w", err)
		}
		return NewKeyring(key)
	}
	if dataDir == "" {
		return nil, fmt.Errorf("%w: neither SWITCHYARD_SECRET_KEY nor a data directory given", ErrBadKey)
	}
	path := filepath.Join(dataDir, KeyFileName)
	key, err := readKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key, err = createKeyFile(path)
	}
	if err != nil {
		return nil, err
	}
	return NewKeyring(key)
}

func decodeKey(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace([]byte(s))))
	if err != nil {
		return nil, fmt.Errorf("%w: not valid base64", ErrBadKey)
	}
	if len(key) != keySize {
		return nil, fmt.Errorf("%w: must be the base64 of %d bytes, got %d bytes", ErrBadKey, keySize, len(key))
	}
	return key, nil
}

// readKeyFile reads an existing key file, refusing one that group or others
// may access. A missing file matches fs.ErrNotExist.
func readKeyFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("key file %s: %w: mode %04o lets others read it; chmod 600 it", path, ErrBadKey, perm)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	key, err := decodeKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return key, nil
}

// createKeyFile writes a new random key atomically: to a temporary file first,
// then linked into place, so a concurrent starter never reads a half-written
// key; whoever links second reads the winner's key.
func createKeyFile(path string) ([]byte, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	key := make([]byte, keySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".secret.key-*")
	if err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if err = errors.Join(err, tmp.Sync(), tmp.Close()); err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	// CreateTemp makes the file 0600 already.
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return readKeyFile(path)
	} else if err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	return key, nil
}
