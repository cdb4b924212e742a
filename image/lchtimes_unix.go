//go:build unix

package image

import (
	"time"

	"golang.org/x/sys/unix"
)

// lchtimes dates a symlink itself, not what it points at.
func lchtimes(path string, t time.Time) error {
	tv := unix.NsecToTimeval(t.UnixNano())
	return unix.Lutimes(path, []unix.Timeval{tv, tv})
}
