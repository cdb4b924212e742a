//go:build !unix

package main

// lockData does nothing where flock is missing; Kasir runs on Linux.
func lockData(dir string) (unlock func(), err error) { return func() {}, nil }
