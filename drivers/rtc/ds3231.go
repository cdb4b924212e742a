package rtc

import (
	"errors"
	"fmt"
	"time"

	"periph.io/x/conn/v3/i2c"
)

// Addr is the DS3231's fixed I2C address.
const Addr = 0x68

// Registers and bits of the DS3231 used here.
const (
	regSeconds = 0x00 // seconds, minutes, hours, weekday, date, month, year follow
	regStatus  = 0x0F
	bit12Hour  = 0x40 // in the hours register: 12-hour mode
	bitPM      = 0x20 // in 12-hour mode: PM
	bitCentury = 0x80 // in the month register: the year is 2100 + year
	bitOSF     = 0x80 // in the status register: the oscillator stopped
)

// ErrStopped means the clock's oscillator stopped since it was last set
// (its battery ran out or was never fitted): the time it holds is not the
// time.
var ErrStopped = errors.New("rtc: oscillator stopped; time not set")

// DS3231 is the clock on an I2C bus.
type DS3231 struct {
	dev i2c.Dev
}

// New returns the DS3231 at Addr on bus.
func New(bus i2c.Bus) *DS3231 {
	return &DS3231{dev: i2c.Dev{Bus: bus, Addr: Addr}}
}

// Read returns the clock's time, kept in UTC. It returns ErrStopped when
// the oscillator stopped since the clock was last set.
func (d *DS3231) Read() (time.Time, error) {
	var r [7]byte
	if err := d.dev.Tx([]byte{regSeconds}, r[:]); err != nil {
		return time.Time{}, fmt.Errorf("rtc: read time: %w", err)
	}
	var st [1]byte
	if err := d.dev.Tx([]byte{regStatus}, st[:]); err != nil {
		return time.Time{}, fmt.Errorf("rtc: read status: %w", err)
	}
	if st[0]&bitOSF != 0 {
		return time.Time{}, ErrStopped
	}
	return decode(r)
}

// Write sets the clock to t (kept in UTC) and clears the stopped flag.
func (d *DS3231) Write(t time.Time) error {
	t = t.UTC()
	if t.Year() < 2000 || t.Year() > 2199 {
		return fmt.Errorf("rtc: year %d out of the DS3231's range 2000-2199", t.Year())
	}
	r := encode(t)
	if err := d.dev.Tx(append([]byte{regSeconds}, r[:]...), nil); err != nil {
		return fmt.Errorf("rtc: write time: %w", err)
	}
	var st [1]byte
	if err := d.dev.Tx([]byte{regStatus}, st[:]); err != nil {
		return fmt.Errorf("rtc: read status: %w", err)
	}
	if st[0]&bitOSF != 0 {
		if err := d.dev.Tx([]byte{regStatus, st[0] &^ bitOSF}, nil); err != nil {
			return fmt.Errorf("rtc: clear stopped flag: %w", err)
		}
	}
	return nil
}

func encode(t time.Time) [7]byte {
	month := bcd(int(t.Month()))
	year := t.Year() - 2000
	if year >= 100 {
		month |= bitCentury
		year -= 100
	}
	return [7]byte{
		bcd(t.Second()), bcd(t.Minute()), bcd(t.Hour()), // 24-hour mode
		byte(t.Weekday()) + 1, // 1-7, Sunday 1
		bcd(t.Day()), month, bcd(year),
	}
}

func decode(r [7]byte) (time.Time, error) {
	hour := unbcd(r[2] & 0x3F)
	if r[2]&bit12Hour != 0 {
		hour = unbcd(r[2] & 0x1F)
		if hour == 12 {
			hour = 0
		}
		if r[2]&bitPM != 0 {
			hour += 12
		}
	}
	year := 2000 + unbcd(r[6])
	if r[5]&bitCentury != 0 {
		year += 100
	}
	sec, min, day, month := unbcd(r[0]&0x7F), unbcd(r[1]&0x7F), unbcd(r[4]&0x3F), unbcd(r[5]&0x1F)
	if sec > 59 || min > 59 || hour > 23 || day < 1 || day > 31 || month < 1 || month > 12 {
		return time.Time{}, fmt.Errorf("rtc: registers % x are not a time", r[:])
	}
	t := time.Date(year, time.Month(month), day, hour, min, sec, 0, time.UTC)
	if t.Day() != day {
		return time.Time{}, fmt.Errorf("rtc: registers % x are not a date", r[:])
	}
	return t, nil
}

func bcd(n int) byte   { return byte(n/10<<4 | n%10) }
func unbcd(b byte) int { return int(b>>4)*10 + int(b&0x0F) }
