package main

import (
	"fmt"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/host/v3"
)

// gpioPins looks the drawer's pins up on this board. The sensor is
// optional; the relay is not.
func gpioPins(relay, sensor string) (gpio.PinOut, gpio.PinIn, error) {
	if _, err := host.Init(); err != nil {
		return nil, nil, fmt.Errorf("GPIO: %w", err)
	}
	kick := gpioreg.ByName(relay)
	if kick == nil {
		return nil, nil, fmt.Errorf("GPIO: no pin named %q on this board", relay)
	}
	if sensor == "" {
		return kick, nil, nil
	}
	s := gpioreg.ByName(sensor)
	if s == nil {
		return nil, nil, fmt.Errorf("GPIO: no pin named %q on this board (drawer sensor)", sensor)
	}
	return kick, s, nil
}
