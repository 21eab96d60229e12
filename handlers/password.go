package handlers

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// passwordCost is bcrypt's work factor: about a quarter second on a
// Raspberry Pi 4, and only 4 KiB of memory (argon2 would need megabytes).
const passwordCost = 11

// HashPassword returns the hash of password to store.
func HashPassword(password string) (string, error) {
	if len(password) > 72 {
		return "", errors.New("the password is too long: use at most 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), passwordCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// CheckPassword reports whether password matches hash.
func CheckPassword(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}
