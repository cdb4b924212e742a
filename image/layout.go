package image

import (
	"encoding/binary"
	"fmt"
	"io"
)

// The disk follows gokrazy's layout (github.com/gokrazy/gokrazy's
// rootdev package numbers the partitions; its update handlers write to
// them by number):
//
//	sector 0          MBR with the disk signature DiskID
//	4 MiB   100 MiB   1  boot: FAT16, firmware, kernel, cmdline.txt, kasir.json
//	104 MiB 500 MiB   2  root A: squashfs
//	604 MiB 500 MiB   3  root B: squashfs (a copy of A until the first update)
//	1104 MiB rest     4  /perm: ext4, formatted by the till's init at first boot
//
// The kernel finds its root by root=PARTUUID=<DiskID>-02; gokrazy's update
// handler switches that to -03 and back.
const (
	SectorSize = 512
	MiB        = 1 << 20

	// DiskID is the MBR disk signature. It is the same on every till:
	// it only has to tell the boot disk from a USB stick.
	DiskID uint32 = 0x6b617372 // "kasr"

	BootPartition = 1
	RootA         = 2
	RootB         = 3
	PermPartition = 4
)

// Partition is one MBR partition entry, in bytes.
type Partition struct {
	Number int
	Type   byte
	Offset int64
	Size   int64
}

// Layout returns the partitions of a disk of diskSize bytes.
func Layout(diskSize int64) ([]Partition, error) {
	ps := []Partition{
		{BootPartition, 0x0e, 4 * MiB, 100 * MiB}, // FAT16 with LBA
		{RootA, 0x83, 104 * MiB, 500 * MiB},
		{RootB, 0x83, 604 * MiB, 500 * MiB},
		{PermPartition, 0x83, 1104 * MiB, 0},
	}
	ps[3].Size = diskSize - ps[3].Offset
	if ps[3].Size < 64*MiB {
		return nil, fmt.Errorf("image: a %d MiB disk leaves /perm under 64 MiB", diskSize/MiB)
	}
	return ps, nil
}

// RootCmdline is the root= argument for partition n.
func RootCmdline(n int) string {
	return fmt.Sprintf("root=PARTUUID=%08x-%02d", DiskID, n)
}

// writeMBR writes the partition table. There is no boot code: the Pi's
// firmware reads the FAT partition, and a VM is started with its kernel.
func writeMBR(w io.WriterAt, ps []Partition) error {
	b := make([]byte, SectorSize)
	binary.LittleEndian.PutUint32(b[440:], DiskID)
	// b[444:446] stays zero: gokrazy's rootdev checks it.
	for i, p := range ps {
		e := b[446+16*i : 446+16*(i+1)]
		// CHS fields say "use LBA", as every tool since the 1990s does.
		copy(e[1:4], []byte{0xfe, 0xff, 0xff})
		e[4] = p.Type
		copy(e[5:8], []byte{0xfe, 0xff, 0xff})
		binary.LittleEndian.PutUint32(e[8:], uint32(p.Offset/SectorSize))
		binary.LittleEndian.PutUint32(e[12:], uint32(p.Size/SectorSize))
	}
	b[510], b[511] = 0x55, 0xaa
	_, err := w.WriteAt(b, 0)
	return err
}

// ReadPartitions reads the MBR partition table from r.
func ReadPartitions(r io.ReaderAt) (diskID uint32, ps []Partition, err error) {
	b := make([]byte, SectorSize)
	if _, err := r.ReadAt(b, 0); err != nil {
		return 0, nil, fmt.Errorf("read MBR: %w", err)
	}
	if b[510] != 0x55 || b[511] != 0xaa {
		return 0, nil, fmt.Errorf("image: no MBR signature")
	}
	for i := 0; i < 4; i++ {
		e := b[446+16*i : 446+16*(i+1)]
		if e[4] == 0 {
			continue
		}
		ps = append(ps, Partition{
			Number: i + 1,
			Type:   e[4],
			Offset: int64(binary.LittleEndian.Uint32(e[8:])) * SectorSize,
			Size:   int64(binary.LittleEndian.Uint32(e[12:])) * SectorSize,
		})
	}
	return binary.LittleEndian.Uint32(b[440:]), ps, nil
}
