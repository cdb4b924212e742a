package rtc

import (
	"errors"
	"testing"
	"time"

	"periph.io/x/conn/v3/i2c/i2ctest"
)

func TestRead(t *testing.T) {
	tests := []struct {
		name string
		regs []byte
		want time.Time
	}{
		{"24-hour", []byte{0x59, 0x07, 0x23, 0x02, 0x30, 0x11, 0x26}, time.Date(2026, 11, 30, 23, 7, 59, 0, time.UTC)},
		{"12-hour PM", []byte{0x00, 0x30, bit12Hour | bitPM | 0x01, 0x02, 0x01, 0x01, 0x27}, time.Date(2027, 1, 1, 13, 30, 0, 0, time.UTC)},
		{"12-hour midnight", []byte{0x00, 0x00, bit12Hour | 0x12, 0x02, 0x01, 0x01, 0x27}, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"century", []byte{0x00, 0x00, 0x00, 0x06, 0x01, bitCentury | 0x01, 0x00}, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bus := &i2ctest.Playback{Ops: []i2ctest.IO{
				{Addr: Addr, W: []byte{regSeconds}, R: tt.regs},
				{Addr: Addr, W: []byte{regStatus}, R: []byte{0x00}},
			}, DontPanic: true}
			got, err := New(bus).Read()
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("Read = %v, want %v", got, tt.want)
			}
			if err := bus.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}

// A clock whose battery died says so instead of handing back 2000-01-01.
func TestReadStopped(t *testing.T) {
	bus := &i2ctest.Playback{Ops: []i2ctest.IO{
		{Addr: Addr, W: []byte{regSeconds}, R: []byte{0, 0, 0, 1, 1, 1, 0}},
		{Addr: Addr, W: []byte{regStatus}, R: []byte{bitOSF | 0x08}},
	}, DontPanic: true}
	if _, err := New(bus).Read(); !errors.Is(err, ErrStopped) {
		t.Fatalf("Read = %v, want ErrStopped", err)
	}
}

func TestReadGarbage(t *testing.T) {
	bus := &i2ctest.Playback{Ops: []i2ctest.IO{
		{Addr: Addr, W: []byte{regSeconds}, R: []byte{0x00, 0x00, 0x00, 0x01, 0x31, 0x02, 0x26}}, // 31 February
		{Addr: Addr, W: []byte{regStatus}, R: []byte{0x00}},
	}, DontPanic: true}
	if _, err := New(bus).Read(); err == nil {
		t.Fatal("Read of 31 February: no error")
	}
}

// Write sets the time registers in 24-hour BCD and clears a stopped flag.
func TestWrite(t *testing.T) {
	at := time.Date(2026, 11, 30, 16, 45, 9, 0, time.FixedZone("WIB", 7*3600)) // 09:45:09 UTC, a Monday
	bus := &i2ctest.Playback{Ops: []i2ctest.IO{
		{Addr: Addr, W: []byte{regSeconds, 0x09, 0x45, 0x09, 0x02, 0x30, 0x11, 0x26}},
		{Addr: Addr, W: []byte{regStatus}, R: []byte{bitOSF | 0x08}},
		{Addr: Addr, W: []byte{regStatus, 0x08}},
	}, DontPanic: true}
	if err := New(bus).Write(at); err != nil {
		t.Fatal(err)
	}
	if err := bus.Close(); err != nil {
		t.Error(err)
	}
}

// What Write puts in the registers, Read gets back, across the DS3231's
// whole range.
func TestRoundTrip(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC),
		time.Date(2099, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(2100, 3, 1, 1, 2, 3, 0, time.UTC),
	} {
		// A Record with no bus behind it keeps the writes; reading the
		// status register after the time was written fails, which is fine.
		rec := &i2ctest.Record{}
		New(rec).Write(at)
		if len(rec.Ops) == 0 {
			t.Fatalf("%v: nothing written", at)
		}
		var regs [7]byte
		copy(regs[:], rec.Ops[0].W[1:])
		got, err := decode(regs)
		if err != nil || !got.Equal(at) {
			t.Errorf("%v: read back %v, %v", at, got, err)
		}
	}
	if err := New(&i2ctest.Record{}).Write(time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Error("Write 1999: no error")
	}
}
