package main

import (
	"time"

	"golang.org/x/sys/unix"
)

// ntpSynced asks the kernel whether NTP has disciplined the clock: gokrazy's
// ntp (and any NTP daemon) clears STA_UNSYNC once it has set the time.
func ntpSynced() (bool, error) {
	var tx unix.Timex
	if _, err := unix.Adjtimex(&tx); err != nil {
		return false, err
	}
	return tx.Status&unix.STA_UNSYNC == 0, nil
}

// setSystemClock sets the system clock (root only).
func setSystemClock(t time.Time) error {
	tv := unix.NsecToTimeval(t.UnixNano())
	return unix.Settimeofday(&tv)
}
