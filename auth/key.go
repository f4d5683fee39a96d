package auth

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
)

// KeySize is the length in bytes of a token key: an AES-256 key-wrapping key.
const KeySize = 32

// GenerateKey returns a new random token key as base64url text without padding, the form
// that RELAYBASE_AUTH_KEY, key files and the metadata table hold.
func GenerateKey() (string, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("generate auth key: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(key), nil
}

// ParseKey decodes a token key written as base64url (padding optional; surrounding
// whitespace, such as a key file's final newline, is ignored). It must decode to exactly
// KeySize bytes.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	if s == "" {
		return nil, fmt.Errorf("parse auth key: empty; want %d random bytes as base64url (generate one with relaybase)", KeySize)
	}
	key, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("parse auth key: not base64url (A-Z a-z 0-9 - _): %w", err)
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("parse auth key: decodes to %d bytes, want %d", len(key), KeySize)
	}
	return key, nil
}
