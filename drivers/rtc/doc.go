// Package rtc drives a battery-backed real-time clock, the Maxim DS3231, over
// I2C. A Raspberry Pi has no clock that survives a power cut; with a DS3231
// on its I2C bus the till knows the date at boot before NTP answers.
//
// The driver is handed its bus (periph's i2c.Bus) and never looks one up;
// it imports nothing of the till.
package rtc
