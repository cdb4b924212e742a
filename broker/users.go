package broker

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kasirpos/kasir/internal/durable"
)

// Roles of broker users.
const (
	RoleTill = "till" // one till: its own topics only
	RoleHQ   = "hq"   // head office's ingest and publishers: everything under pos/
)

// User is one broker login.
type User struct {
	Username string `json:"username"`
	Hash     string `json:"hash"` // PBKDF2-SHA256, see HashPassword
	Role     string `json:"role"`
	Store    string `json:"store,omitempty"`
	Till     string `json:"till,omitempty"`
}

// Users is the broker's user list, kept in a JSON file. A till added by
// `kasir-hq till add` while the broker runs can log in at once: the file is
// read again when it changes.
type Users struct {
	path  string
	mu    sync.RWMutex
	by    map[string]User
	mtime time.Time
}

// LoadUsers reads the user file; a missing file is an empty list.
func LoadUsers(path string) (*Users, error) {
	u := &Users{path: path, by: map[string]User{}}
	if err := u.reload(); err != nil {
		return nil, err
	}
	return u, nil
}

// reload reads the file if it changed since the last read.
func (u *Users) reload() error {
	fi, err := os.Stat(u.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	u.mu.RLock()
	same := fi.ModTime().Equal(u.mtime)
	u.mu.RUnlock()
	if same {
		return nil
	}
	b, err := os.ReadFile(u.path)
	if err != nil {
		return err
	}
	var list []User
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("broker: %s: %w", u.path, err)
	}
	by := make(map[string]User, len(list))
	for _, x := range list {
		by[x.Username] = x
	}
	u.mu.Lock()
	u.by, u.mtime = by, fi.ModTime()
	u.mu.Unlock()
	return nil
}

// lookup returns a user, reading the file again if it changed.
func (u *Users) lookup(name string) (User, bool) {
	u.reload()
	u.mu.RLock()
	defer u.mu.RUnlock()
	x, ok := u.by[name]
	return x, ok
}

// Put adds or replaces a user and saves the file durably.
func (u *Users) Put(x User) error {
	if err := u.reload(); err != nil {
		return err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.by[x.Username] = x
	list := make([]User, 0, len(u.by))
	for _, v := range u.by {
		list = append(list, v)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Username < list[j].Username })
	b, _ := json.MarshalIndent(list, "", "  ")
	if err := writeFile(u.path, b); err != nil {
		return err
	}
	if fi, err := os.Stat(u.path); err == nil {
		u.mtime = fi.ModTime()
	}
	return nil
}

// Check returns the user if the password is right.
func (u *Users) Check(username, password string) (User, bool) {
	x, ok := u.lookup(username)
	if !ok || !CheckPassword(x.Hash, password) {
		return User{}, false
	}
	return x, true
}

func writeFile(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return durable.WriteFile(path, b, 0o600)
}

const iterations = 100000

// HashPassword returns a salted PBKDF2-SHA256 hash of a broker password.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key, err := pbkdf2.Key(sha256.New, pw, salt, iterations, 32)
	if err != nil {
		return "", err
	}
	e := base64.RawStdEncoding
	return "pbkdf2-sha256$" + strconv.Itoa(iterations) + "$" + e.EncodeToString(salt) + "$" + e.EncodeToString(key), nil
}

// CheckPassword compares a password with a HashPassword hash.
func CheckPassword(hash, pw string) bool {
	p := strings.Split(hash, "$")
	if len(p) != 4 || p[0] != "pbkdf2-sha256" {
		return false
	}
	n, err := strconv.Atoi(p[1])
	e := base64.RawStdEncoding
	salt, err1 := e.DecodeString(p[2])
	want, err2 := e.DecodeString(p[3])
	if err != nil || err1 != nil || err2 != nil || n < 1 {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, pw, salt, n, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}

// NewPassword makes a random password for a till.
func NewPassword() string {
	b := make([]byte, 18)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
