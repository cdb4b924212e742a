package main

import (
	"bytes"
	"testing"
)

func TestPrefixed(t *testing.T) {
	var buf bytes.Buffer
	w, done := prefixed(&buf)
	w.Write([]byte("one\ntw"))
	w.Write([]byte("o\nthree"))
	w.Close()
	<-done
	if got, want := buf.String(), "till: one\ntill: two\ntill: three\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
