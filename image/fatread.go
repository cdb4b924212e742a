package image

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
)

// ReadBootFile reads a file from the root directory of the FAT16 file
// system at offset in r, following its cluster chain. Tests use it to do
// what the Pi's firmware does: read cmdline.txt and the kernel from the
// boot partition, which gokrazy's update handlers may have rewritten.
func ReadBootFile(r io.ReaderAt, offset int64, name string) ([]byte, error) {
	bs := make([]byte, fatSectorSize)
	if _, err := r.ReadAt(bs, offset); err != nil {
		return nil, fmt.Errorf("fat: read boot sector: %w", err)
	}
	sectorSize := int64(binary.LittleEndian.Uint16(bs[11:]))
	perCluster := int64(bs[13])
	reserved := int64(binary.LittleEndian.Uint16(bs[14:]))
	nFATs := int64(bs[16])
	rootEntries := int64(binary.LittleEndian.Uint16(bs[17:]))
	fatSectors := int64(binary.LittleEndian.Uint16(bs[22:]))
	if sectorSize == 0 || perCluster == 0 || fatSectors == 0 {
		return nil, fmt.Errorf("fat: not a FAT16 boot sector")
	}
	fatAt := offset + reserved*sectorSize
	rootAt := fatAt + nFATs*fatSectors*sectorSize
	dataAt := rootAt + (rootEntries*fatEntrySize+sectorSize-1)/sectorSize*sectorSize
	root := make([]byte, rootEntries*fatEntrySize)
	if _, err := r.ReadAt(root, rootAt); err != nil {
		return nil, fmt.Errorf("fat: read root directory: %w", err)
	}
	base, ext := name, ""
	if i := strings.LastIndex(name, "."); i > 0 {
		base, ext = name[:i], name[i+1:]
	}
	want := pad83b(strings.ToUpper(base), strings.ToUpper(ext))
	var long []uint16 // the long name being collected, from its entries
	for i := int64(0); i < rootEntries; i++ {
		e := root[i*fatEntrySize : (i+1)*fatEntrySize]
		if e[0] == 0 {
			break
		}
		if e[11] == attrLongName {
			if e[0]&0x40 != 0 {
				long = nil
			}
			var part []uint16
			for _, at := range []int{1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30} {
				part = append(part, binary.LittleEndian.Uint16(e[at:]))
			}
			long = append(part, long...) // stored last part first
			continue
		}
		lfn := long
		long = nil
		if e[0] == 0xe5 || e[11]&(attrDirectory|attrVolumeLabel) != 0 {
			continue
		}
		if !bytes.Equal(bytes.ToUpper(e[:11]), want[:]) && !strings.EqualFold(decodeLong(lfn), name) {
			continue
		}
		cluster := int64(binary.LittleEndian.Uint16(e[26:]))
		size := int64(binary.LittleEndian.Uint32(e[28:]))
		clusterSize := perCluster * sectorSize
		out := make([]byte, 0, size)
		entry := make([]byte, 2)
		for int64(len(out)) < size {
			if cluster < 2 || cluster >= 0xfff7 {
				return nil, fmt.Errorf("fat: %s: broken cluster chain", name)
			}
			n := min(clusterSize, size-int64(len(out)))
			buf := make([]byte, n)
			if _, err := r.ReadAt(buf, dataAt+(cluster-2)*clusterSize); err != nil {
				return nil, fmt.Errorf("fat: read %s: %w", name, err)
			}
			out = append(out, buf...)
			if _, err := r.ReadAt(entry, fatAt+cluster*2); err != nil {
				return nil, fmt.Errorf("fat: read FAT: %w", err)
			}
			cluster = int64(binary.LittleEndian.Uint16(entry))
		}
		return out, nil
	}
	return nil, fmt.Errorf("fat: %s not found", name)
}

func decodeLong(u []uint16) string {
	for i, c := range u {
		if c == 0 {
			u = u[:i]
			break
		}
	}
	return string(utf16.Decode(u))
}
