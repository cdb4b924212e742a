package image

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// VersionFile is the boot partition's record of the till version it
// carries: a technician can read it on any laptop, and push reads it to
// know which version must answer after the update.
const VersionFile = "kasir-version.txt"

// Payload is one partition's worth of an update: the bytes gokrazy's
// /update/root or /update/boot handler writes, from the start of the
// partition, cut to what the file system uses.
type Payload struct {
	R      io.ReaderAt
	Size   int64
	SHA256 string // hex, as gokrazy's handler answers
}

// Reader returns a reader of the payload from its start.
func (p *Payload) Reader() io.Reader { return io.NewSectionReader(p.R, 0, p.Size) }

// Update is what `kasir-image push` sends to a till.
type Update struct {
	Root, Boot *Payload
	Version    string // from the boot partition's VersionFile; "" when it has none

	closers []io.Closer
}

// Close closes the files the update reads from.
func (u *Update) Close() error {
	var errs []error
	for _, c := range u.closers {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// OpenUpdate reads a disk image that Build wrote: root A (the fresh root;
// the till writes it to whichever root partition is inactive) and the boot
// partition, each cut to the bytes its file system uses, so that a
// network update does not carry hundreds of megabytes of zeros.
func OpenUpdate(img string) (*Update, error) {
	f, err := os.Open(img)
	if err != nil {
		return nil, err
	}
	u := &Update{closers: []io.Closer{f}}
	if err := u.fromDisk(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", img, err)
	}
	return u, nil
}

func (u *Update) fromDisk(f *os.File) error {
	id, ps, err := ReadPartitions(f)
	if err != nil {
		return err
	}
	if id != DiskID || len(ps) != 4 {
		return fmt.Errorf("not a Kasir image (disk signature %08x, %d partitions)", id, len(ps))
	}
	root, boot := ps[RootA-1], ps[BootPartition-1]
	rootSize, err := squashfsSize(io.NewSectionReader(f, root.Offset, root.Size))
	if err != nil {
		return fmt.Errorf("root partition: %w", err)
	}
	bootSize, err := fatUsed(io.NewSectionReader(f, boot.Offset, boot.Size))
	if err != nil {
		return fmt.Errorf("boot partition: %w", err)
	}
	if u.Root, err = payload(io.NewSectionReader(f, root.Offset, rootSize)); err != nil {
		return err
	}
	if u.Boot, err = payload(io.NewSectionReader(f, boot.Offset, bootSize)); err != nil {
		return err
	}
	if v, err := ReadBootFile(f, boot.Offset, VersionFile); err == nil {
		u.Version = strings.TrimSpace(string(v))
	}
	return nil
}

// OpenUpdateFiles reads a root squashfs file and a boot partition (FAT)
// file, as a build system that writes partitions separately makes them.
// Each is sent whole.
func OpenUpdateFiles(root, boot string) (*Update, error) {
	u := &Update{}
	for _, p := range []struct {
		name string
		dst  **Payload
	}{{root, &u.Root}, {boot, &u.Boot}} {
		f, err := os.Open(p.name)
		if err != nil {
			u.Close()
			return nil, err
		}
		u.closers = append(u.closers, f)
		st, err := f.Stat()
		if err != nil {
			u.Close()
			return nil, err
		}
		if *p.dst, err = payload(io.NewSectionReader(f, 0, st.Size())); err != nil {
			u.Close()
			return nil, fmt.Errorf("%s: %w", p.name, err)
		}
	}
	if v, err := ReadBootFile(u.Boot.R, 0, VersionFile); err == nil {
		u.Version = strings.TrimSpace(string(v))
	}
	return u, nil
}

func payload(r *io.SectionReader) (*Payload, error) {
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(r, 0, r.Size())); err != nil {
		return nil, err
	}
	return &Payload{R: r, Size: r.Size(), SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// squashfsSize returns the bytes a squashfs uses (its superblock's
// bytes_used), rounded up to 4 KiB as mksquashfs pads.
func squashfsSize(r io.ReaderAt) (int64, error) {
	sb := make([]byte, 96)
	if _, err := r.ReadAt(sb, 0); err != nil {
		return 0, err
	}
	if string(sb[0:4]) != "hsqs" {
		return 0, fmt.Errorf("no squashfs superblock")
	}
	used := int64(binary.LittleEndian.Uint64(sb[40:]))
	return (used + 4095) &^ 4095, nil
}

// fatUsed returns the bytes of a FAT16 file system up to the end of its
// last allocated cluster: the boot sector, the FAT, the root directory and
// every file. What lies beyond is free space, whatever it holds.
func fatUsed(r io.ReaderAt) (int64, error) {
	bs := make([]byte, fatSectorSize)
	if _, err := r.ReadAt(bs, 0); err != nil {
		return 0, err
	}
	sectorSize := int64(binary.LittleEndian.Uint16(bs[11:]))
	perCluster := int64(bs[13])
	reserved := int64(binary.LittleEndian.Uint16(bs[14:]))
	nFATs := int64(bs[16])
	rootEntries := int64(binary.LittleEndian.Uint16(bs[17:]))
	fatSectors := int64(binary.LittleEndian.Uint16(bs[22:]))
	if bs[510] != 0x55 || bs[511] != 0xaa || sectorSize == 0 || perCluster == 0 || fatSectors == 0 {
		return 0, fmt.Errorf("not a FAT16 boot sector")
	}
	fat := make([]byte, fatSectors*sectorSize)
	if _, err := r.ReadAt(fat, reserved*sectorSize); err != nil {
		return 0, err
	}
	last := int64(1)
	for c := int64(2); c < int64(len(fat)/2); c++ {
		if binary.LittleEndian.Uint16(fat[2*c:]) != 0 {
			last = c
		}
	}
	dataAt := (reserved+nFATs*fatSectors)*sectorSize + (rootEntries*fatEntrySize+sectorSize-1)/sectorSize*sectorSize
	return dataAt + (last-1)*perCluster*sectorSize, nil
}
