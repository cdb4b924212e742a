package appliance

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// Role is what a user may do.
type Role string

const (
	RoleCashier    Role = "cashier"
	RoleSupervisor Role = "supervisor"
)

// User is a person who works the till. The PIN is stored only as a salted
// PBKDF2 hash.
type User struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Role    Role   `json:"role"`
	PINHash string `json:"-"`
	Active  bool   `json:"active"`
}

// Supervisor reports whether the user may approve voids, refunds, overrides
// and large discounts.
func (u *User) Supervisor() bool { return u != nil && u.Role == RoleSupervisor }

// pinIterations is low by password standards on purpose: login tries the PIN
// against every user's hash, and a till on a Raspberry Pi must answer in well
// under a second. The lockout is what stops guessing.
const pinIterations = 20000

// ValidPIN reports whether pin is 4 to 8 digits.
func ValidPIN(pin string) bool { return len(pin) >= 4 && len(pin) <= 8 && allDigits(pin) }

// HashPIN returns a salted hash of pin to store.
func HashPIN(pin string) (string, error) {
	if !ValidPIN(pin) {
		return "", Errorm(CodeInvalid, "bad_pin", nil, "PIN must be 4 to 8 digits")
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key, err := pbkdf2.Key(sha256.New, pin, salt, pinIterations, 32)
	if err != nil {
		return "", err
	}
	enc := base64.RawStdEncoding
	return fmt.Sprintf("pbkdf2-sha256$%d$%s$%s", pinIterations, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// CheckPIN reports whether pin matches a hash made by HashPIN.
func CheckPIN(hash, pin string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[2])
	want, err2 := enc.DecodeString(parts[3])
	if err1 != nil || err2 != nil {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, pin, salt, iter, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}
