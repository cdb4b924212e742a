//go:build !linux

package main

import "errors"

func initMain() error { return errors.New("the init runs on Linux only") }
