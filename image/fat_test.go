package image

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// gokrazyExtents finds a root directory file the way gokrazy's update code
// does (github.com/gokrazy/internal/fat.Reader.Extents, which cannot be
// imported from here): the root directory right after the reserved
// sectors and ONE FAT, the file as one run from its first cluster.
func gokrazyExtents(t *testing.T, r io.ReaderAt, name string) (offset, length int64) {
	t.Helper()
	bs := make([]byte, 512)
	if _, err := r.ReadAt(bs, 0); err != nil {
		t.Fatal(err)
	}
	sectorSize := int64(binary.LittleEndian.Uint16(bs[11:]))
	perCluster := int64(bs[13])
	reserved := int64(binary.LittleEndian.Uint16(bs[14:]))
	rootEntries := int64(binary.LittleEndian.Uint16(bs[17:]))
	fatSectors := int64(binary.LittleEndian.Uint16(bs[22:]))
	dirOffset := (reserved + fatSectors) * sectorSize
	dataOffset := dirOffset + (rootEntries*32+sectorSize-1)/sectorSize*sectorSize
	for i := int64(0); i < rootEntries; i++ {
		e := make([]byte, 32)
		if _, err := r.ReadAt(e, dirOffset+i*32); err != nil {
			t.Fatal(err)
		}
		if e[0] == 0 {
			continue
		}
		n := strings.TrimRight(string(e[:8]), " ")
		if e[8] != ' ' {
			n += "." + string(e[8:11])
		}
		if strings.EqualFold(n, name) {
			cluster := int64(binary.LittleEndian.Uint16(e[26:]))
			return dataOffset + (cluster-2)*perCluster*sectorSize, int64(binary.LittleEndian.Uint32(e[28:]))
		}
	}
	t.Fatalf("gokrazy's reader would not find %s", name)
	return 0, 0
}

func TestFATForGokrazy(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "boot.fat"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(100 * MiB); err != nil {
		t.Fatal(err)
	}
	cmdline := []byte("console=ttyAMA0 " + RootCmdline(RootA) + " init=/gokrazy/init\n")
	files := map[string][]byte{
		"cmdline.txt":                     cmdline,
		"vmlinuz":                         bytes.Repeat([]byte("kernel"), 100000),
		"bcm2710-rpi-3-b-plus.dtb":        []byte("dtb"),
		"overlays/miniuart-bt.dtbo":       []byte("overlay"),
		"overlays/README":                 nil,
		"kasir.json":                      []byte(`{"store":"S001"}`),
		"Mixed.Case.Name-with spaces.txt": []byte("x"),
	}
	if err := writeFAT(f, 0, 100*MiB, 8192, "KASIR", files, DefaultTime); err != nil {
		t.Fatal(err)
	}
	needTools(t)
	if out, err := exec.Command("fsck.fat", "-n", "-v", f.Name()).CombinedOutput(); err != nil {
		t.Errorf("fsck.fat: %v\n%s", err, out)
	}
	for name, want := range files {
		if strings.Contains(name, "/") {
			continue
		}
		got, err := ReadBootFile(f, 0, name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: got %d bytes, want %d", name, len(got), len(want))
		}
	}

	// gokrazy's /update/switch: rewrite root= in place.
	off, n := gokrazyExtents(t, f, "cmdline.txt")
	got := make([]byte, n)
	if _, err := f.ReadAt(got, off); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, cmdline) {
		t.Fatalf("gokrazy's reader reads %q, want %q", got, cmdline)
	}
	switched := bytes.Replace(cmdline, []byte(RootCmdline(RootA)), []byte(RootCmdline(RootB)), 1)
	if _, err := f.WriteAt(switched, off); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadBootFile(f, 0, "cmdline.txt"); err != nil || !bytes.Equal(got, switched) {
		t.Errorf("after the switch, cmdline.txt = %q, %v; want %q", got, err, switched)
	}
}

func TestFATDeterministic(t *testing.T) {
	dir := t.TempDir()
	var sums [2][]byte
	for i := range sums {
		name := filepath.Join(dir, "boot.fat")
		os.Remove(name)
		f, err := os.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		files := map[string][]byte{"b/x.dtbo": []byte("1"), "a.txt": []byte("2"), "cmdline.txt": []byte("3\n")}
		if err := writeFAT(f, 0, 100*MiB, 8192, "KASIR", files, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		f.Close()
		sums[i], err = os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(sums[0], sums[1]) {
		t.Error("the same files gave different file systems")
	}
}

func TestFATTooMuch(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "boot.fat"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = writeFAT(f, 0, 20*MiB, 0, "KASIR", map[string][]byte{"big": make([]byte, 21*MiB)}, DefaultTime)
	if err == nil || !strings.Contains(err.Error(), "clusters") {
		t.Fatalf("21 MiB into a 20 MiB partition: %v, want an error about clusters", err)
	}
}

// TestFATUsed: a network update sends the boot partition only up to its
// last allocated cluster. Written over a partition full of another boot
// partition's leftovers, that prefix must read back every file.
func TestFATUsed(t *testing.T) {
	files := map[string][]byte{
		"cmdline.txt":          []byte("root=PARTUUID=6b617372-02 init=/gokrazy/init\n"),
		"vmlinuz":              bytes.Repeat([]byte{0x5a}, 3*fatClusterSize+17),
		"overlays/a.dtbo":      []byte("overlay"),
		"ends-with-zeros.bin":  append([]byte("x"), make([]byte, 2*fatClusterSize)...),
		"kasir-version.txt":    []byte("B\n"),
		"bcm2712-rpi-5-b.dtb":  bytes.Repeat([]byte{1}, 1000),
		"bcm2711-rpi-4-b.dtb":  bytes.Repeat([]byte{2}, 5000),
		"fixup4.dat":           bytes.Repeat([]byte{3}, 7000),
		"start4.elf":           bytes.Repeat([]byte{4}, 9000),
		"bcm2710-rpi-3-b.dtb":  bytes.Repeat([]byte{5}, 100),
		"config.txt":           []byte("kernel=vmlinuz\n"),
		"overlays/b/c/d.dtbo":  []byte("deep"),
		"zero-length-file.txt": nil,
	}
	const size = 16 * MiB
	fresh := newMemDisk(size)
	if err := writeFAT(fresh, 0, size, 0, "KASIR", files, DefaultTime); err != nil {
		t.Fatal(err)
	}
	used, err := fatUsed(fresh)
	if err != nil {
		t.Fatal(err)
	}
	if used <= 0 || used >= size {
		t.Fatalf("used %d of %d bytes", used, size)
	}
	for i := used; i < size; i++ {
		if fresh.b[i] != 0 {
			t.Fatalf("byte %d, past the %d bytes used, is %#x", i, used, fresh.b[i])
		}
	}
	old := newMemDisk(size)
	for i := range old.b {
		old.b[i] = 0xee
	}
	copy(old.b, fresh.b[:used])
	for name, want := range files {
		if strings.Contains(name, "/") {
			continue // ReadBootFile reads the root directory only
		}
		got, err := ReadBootFile(old, 0, name)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s after a %d-byte update: %d bytes, %v; want %d bytes", name, used, len(got), err, len(want))
		}
	}
	if out, err := exec.Command("fsck.fat", "-n", writeTemp(t, old.b)).CombinedOutput(); err != nil {
		t.Errorf("fsck.fat of the updated partition: %v\n%s", err, out)
	}
}

type memDisk struct{ b []byte }

func newMemDisk(n int64) *memDisk { return &memDisk{b: make([]byte, n)} }

func (m *memDisk) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(m.b)) {
		return 0, io.EOF
	}
	n := copy(p, m.b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (m *memDisk) WriteAt(p []byte, off int64) (int, error) { return copy(m.b[off:], p), nil }

func writeTemp(t *testing.T, b []byte) string {
	p := filepath.Join(t.TempDir(), "part")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
