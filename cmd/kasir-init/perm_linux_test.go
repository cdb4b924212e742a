package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kasirpos/kasir/image"
)

func TestPartition(t *testing.T) {
	for _, tt := range []struct {
		disk string
		n    int
		want string
	}{
		{"/dev/vda", 4, "/dev/vda4"},
		{"/dev/sda", 1, "/dev/sda1"},
		{"/dev/mmcblk0", 4, "/dev/mmcblk0p4"},
		{"/dev/nvme0n1", 2, "/dev/nvme0n1p2"},
	} {
		if got := partition(tt.disk, tt.n); got != tt.want {
			t.Errorf("partition(%q, %d) = %q, want %q", tt.disk, tt.n, got, tt.want)
		}
	}
}

func TestRootPartUUID(t *testing.T) {
	for _, tt := range []struct {
		cmdline string
		want    string
	}{
		{"console=ttyAMA0 root=PARTUUID=6b617372-02 init=/gokrazy/init", "6b617372"},
		{"root=PARTUUID=6b617372-03 rootwait", "6b617372"},
		{"root=/dev/mmcblk0p2", ""},
	} {
		m := rootPartUUID.FindStringSubmatch(tt.cmdline)
		got := ""
		if m != nil {
			got = m[1]
		}
		if got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.cmdline, got, tt.want)
		}
	}
}

// TestBlank: the init formats a blank /perm, and never one that holds a
// file system, even one that does not mount.
func TestBlank(t *testing.T) {
	p := filepath.Join(t.TempDir(), "perm")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, 64*image.MiB); err != nil {
		t.Fatal(err)
	}
	if ok, err := blank(p); !ok || err != nil {
		t.Fatalf("blank(empty partition) = %v, %v; want true", ok, err)
	}
	if err := image.FormatPerm(p); err != nil {
		t.Fatal(err)
	}
	if ok, err := blank(p); ok || err != nil {
		t.Fatalf("blank(ext4) = %v, %v; want false", ok, err)
	}
}
