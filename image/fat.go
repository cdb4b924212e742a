package image

import (
	"encoding/binary"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"
	"unicode/utf16"
)

// The boot partition is FAT16 with a single FAT and every file in one
// contiguous run of clusters. That is not a matter of taste: gokrazy's
// update code (the /update/switch and try-boot handlers) rewrites cmdline.txt
// in place through a minimal FAT16 reader that computes the root directory's
// offset as reserved sectors + one FAT, and reads a file as one extent.
const (
	fatSectorSize        = 512
	fatSectorsPerCluster = 4 // 2 KiB clusters, as gokrazy's own writer
	fatClusterSize       = fatSectorSize * fatSectorsPerCluster
	fatReservedSectors   = fatSectorsPerCluster // the boot sector, padded to a cluster (the Pi 3 wants that)
	fatRootEntries       = 512
	fatEntrySize         = 32
	fatMinClusters       = 4085  // fewer would make it FAT12
	fatMaxClusters       = 65524 // more would make it FAT32

	attrVolumeLabel = 0x08
	attrDirectory   = 0x10
	attrArchive     = 0x20
	attrLongName    = 0x0f
)

// fatNode is a file or directory on the boot partition.
type fatNode struct {
	name     string
	data     []byte // files only
	children map[string]*fatNode
	dir      bool
	cluster  uint16 // first cluster; 0 for empty files and the root
	clusters int    // clusters it occupies
	entries  [][]byte
}

// writeFAT writes a FAT16 file system of size bytes holding files (slash
// separated paths relative to the root) to w at offset. hidden is the
// partition's first sector, recorded in the boot sector as DOS expects.
// Entries are sorted, and every timestamp is mtime, so the same input gives
// the same bytes.
func writeFAT(w io.WriterAt, offset, size int64, hidden uint32, label string, files map[string][]byte, mtime time.Time) error {
	totalSectors := size / fatSectorSize
	rootSectors := int64(fatRootEntries * fatEntrySize / fatSectorSize)
	// Solve for the FAT size: each cluster needs two bytes of FAT.
	fatSectors := int64(1)
	for {
		clusters := (totalSectors - fatReservedSectors - fatSectors - rootSectors) / fatSectorsPerCluster
		need := ((clusters+2)*2 + fatSectorSize - 1) / fatSectorSize
		if need <= fatSectors {
			break
		}
		fatSectors = need
	}
	clusters := (totalSectors - fatReservedSectors - fatSectors - rootSectors) / fatSectorsPerCluster
	if clusters < fatMinClusters || clusters > fatMaxClusters {
		return fmt.Errorf("fat: %d bytes make %d clusters, outside FAT16's range", size, clusters)
	}

	root := &fatNode{dir: true, children: map[string]*fatNode{}}
	for _, p := range sortedKeys(files) {
		if err := root.add(strings.Split(path.Clean(p), "/"), files[p]); err != nil {
			return fmt.Errorf("fat: %s: %w", p, err)
		}
	}

	// Make every directory's entries first, since a directory's size
	// decides where the next file starts; then again once the clusters
	// are known.
	var entries func(n, parent *fatNode)
	entries = func(n, parent *fatNode) {
		l := ""
		if n == root {
			l = label
		}
		n.makeEntries(parent, mtime, l)
		for _, c := range n.children {
			if c.dir {
				entries(c, n)
			}
		}
	}
	entries(root, nil)
	if len(root.entries) > fatRootEntries {
		return fmt.Errorf("fat: %d root directory entries, at most %d fit", len(root.entries), fatRootEntries)
	}
	next := 2
	var order []*fatNode
	var allocate func(n *fatNode)
	allocate = func(n *fatNode) {
		for _, name := range sortedKeys(n.children) {
			c := n.children[name]
			size := len(c.data)
			if c.dir {
				size = len(c.entries) * fatEntrySize
			}
			c.clusters = (size + fatClusterSize - 1) / fatClusterSize
			if c.clusters > 0 {
				c.cluster = uint16(next)
				next += c.clusters
			}
			order = append(order, c)
		}
		for _, name := range sortedKeys(n.children) {
			if c := n.children[name]; c.dir {
				allocate(c)
			}
		}
	}
	allocate(root)
	if int64(next-2) > clusters {
		return fmt.Errorf("fat: the files need %d clusters, the partition has %d", next-2, clusters)
	}
	entries(root, nil)

	fat := make([]byte, fatSectors*fatSectorSize)
	binary.LittleEndian.PutUint16(fat[0:], 0xfff8) // media descriptor
	binary.LittleEndian.PutUint16(fat[2:], 0xffff)
	for _, n := range order {
		for i := 0; i < n.clusters; i++ {
			c := int(n.cluster) + i
			v := uint16(c + 1)
			if i == n.clusters-1 {
				v = 0xffff
			}
			binary.LittleEndian.PutUint16(fat[2*c:], v)
		}
	}

	// Zero the metadata area, so that the file system does not depend
	// on what the file held before.
	dataStart := (fatReservedSectors + fatSectors + rootSectors) * fatSectorSize
	if _, err := w.WriteAt(make([]byte, dataStart), offset); err != nil {
		return err
	}
	if _, err := w.WriteAt(bootSector(uint32(totalSectors), uint16(fatSectors), hidden, label), offset); err != nil {
		return err
	}
	if _, err := w.WriteAt(fat, offset+fatReservedSectors*fatSectorSize); err != nil {
		return err
	}
	if _, err := w.WriteAt(joinEntries(root.entries), offset+(fatReservedSectors+fatSectors)*fatSectorSize); err != nil {
		return err
	}
	for _, n := range order {
		if n.clusters == 0 {
			continue
		}
		b := n.data
		if n.dir {
			b = joinEntries(n.entries)
		}
		// Pad to whole clusters so stale bytes never show in a directory.
		b = append(b[:len(b):len(b)], make([]byte, n.clusters*fatClusterSize-len(b))...)
		at := offset + dataStart + int64(n.cluster-2)*fatClusterSize
		if _, err := w.WriteAt(b, at); err != nil {
			return err
		}
	}
	return nil
}

func (n *fatNode) add(parts []string, data []byte) error {
	name := parts[0]
	if name == "" || name == "." || name == ".." {
		return fmt.Errorf("bad path element %q", name)
	}
	if len(parts) == 1 {
		if _, dup := n.children[name]; dup {
			return fmt.Errorf("duplicate")
		}
		n.children[name] = &fatNode{name: name, data: data}
		return nil
	}
	c := n.children[name]
	if c == nil {
		c = &fatNode{name: name, dir: true, children: map[string]*fatNode{}}
		n.children[name] = c
	}
	if !c.dir {
		return fmt.Errorf("%s is a file", name)
	}
	return c.add(parts[1:], data)
}

// makeEntries (re)computes a directory's entries. parent is nil for the
// root and for subdirectories of the root (whose ".." points at cluster 0).
func (n *fatNode) makeEntries(parent *fatNode, mtime time.Time, label string) {
	t, d := fatTime(mtime)
	var es [][]byte
	if label != "" {
		es = append(es, shortEntry(pad83(label), attrVolumeLabel, 0, 0, 0, t, d))
	}
	if n.name != "" { // not the root
		es = append(es, shortEntry(pad83("."), attrDirectory, 0, n.cluster, 0, t, d))
		var up uint16
		if parent != nil && parent.name != "" {
			up = parent.cluster
		}
		es = append(es, shortEntry(pad83(".."), attrDirectory, 0, up, 0, t, d))
	}
	used := map[string]bool{}
	for _, name := range sortedKeys(n.children) {
		c := n.children[name]
		attr, size := byte(attrArchive), uint32(len(c.data))
		if c.dir {
			attr, size = attrDirectory, 0
		}
		short, caseBits, fits := shortName(name, used)
		if !fits {
			es = append(es, longEntries(name, short)...)
		}
		es = append(es, shortEntry(short, attr, caseBits, c.cluster, size, t, d))
	}
	n.entries = es
}

// shortName returns the 8.3 name for name. When name is itself a valid 8.3
// name in one case per part, it is stored as such, with the case bits that
// Windows NT and Linux honour, and needs no long name entries (cmdline.txt
// must be found that way by gokrazy's reader).
func shortName(name string, used map[string]bool) (short [11]byte, caseBits byte, fits bool) {
	base, ext := name, ""
	if i := strings.LastIndex(name, "."); i > 0 {
		base, ext = name[:i], name[i+1:]
	}
	valid := func(s string, max int) bool {
		if len(s) == 0 && max == 8 || len(s) > max {
			return false
		}
		for _, r := range s {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&'()-@^_`{}~", r)) {
				return false
			}
		}
		return true
	}
	oneCase := func(s string) (lower, ok bool) {
		return s == strings.ToLower(s) && s != strings.ToUpper(s), s == strings.ToLower(s) || s == strings.ToUpper(s)
	}
	if valid(base, 8) && valid(ext, 3) {
		bl, bok := oneCase(base)
		el, eok := oneCase(ext)
		if bok && eok && !used[strings.ToUpper(name)] {
			used[strings.ToUpper(name)] = true
			if bl {
				caseBits |= 0x08
			}
			if el {
				caseBits |= 0x10
			}
			return pad83b(strings.ToUpper(base), strings.ToUpper(ext)), caseBits, true
		}
	}
	// A numeric tail alias, as Windows makes them: BASIS~N.EXT.
	clean := func(s string) string {
		var b strings.Builder
		for _, r := range strings.ToUpper(s) {
			switch {
			case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
				b.WriteRune(r)
			case r == '.' || r == ' ':
			default:
				b.WriteRune('_')
			}
		}
		return b.String()
	}
	b, e := clean(base), clean(ext)
	if len(e) > 3 {
		e = e[:3]
	}
	for i := 1; ; i++ {
		tail := fmt.Sprintf("~%d", i)
		bb := b
		if len(bb)+len(tail) > 8 {
			bb = bb[:8-len(tail)]
		}
		key := bb + tail + "." + e
		if !used[key] {
			used[key] = true
			return pad83b(bb+tail, e), 0, false
		}
	}
}

func pad83(s string) [11]byte {
	var b [11]byte
	copy(b[:], s+strings.Repeat(" ", 11))
	return b
}

func pad83b(base, ext string) [11]byte {
	var b [11]byte
	copy(b[:8], base+"        ")
	copy(b[8:], ext+"   ")
	return b
}

func shortEntry(name [11]byte, attr, caseBits byte, cluster uint16, size uint32, t, d uint16) []byte {
	e := make([]byte, fatEntrySize)
	copy(e, name[:])
	e[11] = attr
	e[12] = caseBits
	binary.LittleEndian.PutUint16(e[14:], t) // created
	binary.LittleEndian.PutUint16(e[16:], d)
	binary.LittleEndian.PutUint16(e[18:], d) // accessed
	binary.LittleEndian.PutUint16(e[22:], t) // modified
	binary.LittleEndian.PutUint16(e[24:], d)
	binary.LittleEndian.PutUint16(e[26:], cluster)
	binary.LittleEndian.PutUint32(e[28:], size)
	return e
}

// longEntries returns the VFAT long name entries for name, last part
// first, as they precede the short entry on disk.
func longEntries(name string, short [11]byte) [][]byte {
	var sum byte
	for _, c := range short {
		sum = (sum>>1 | sum<<7) + c
	}
	u := utf16.Encode([]rune(name))
	u = append(u, 0)
	for len(u)%13 != 0 {
		u = append(u, 0xffff)
	}
	n := len(u) / 13
	var es [][]byte
	for i := n; i >= 1; i-- {
		part := u[(i-1)*13 : i*13]
		e := make([]byte, fatEntrySize)
		e[0] = byte(i)
		if i == n {
			e[0] |= 0x40
		}
		e[11] = attrLongName
		e[13] = sum
		for j, c := range part {
			var at int
			switch {
			case j < 5:
				at = 1 + 2*j
			case j < 11:
				at = 14 + 2*(j-5)
			default:
				at = 28 + 2*(j-11)
			}
			binary.LittleEndian.PutUint16(e[at:], c)
		}
		es = append(es, e)
	}
	return es
}

func bootSector(totalSectors uint32, fatSectors uint16, hidden uint32, label string) []byte {
	b := make([]byte, fatSectorSize)
	copy(b[0:], []byte{0xeb, 0x3c, 0x90}) // jump over the BPB
	copy(b[3:], "KASIR   ")
	binary.LittleEndian.PutUint16(b[11:], fatSectorSize)
	b[13] = fatSectorsPerCluster
	binary.LittleEndian.PutUint16(b[14:], fatReservedSectors)
	b[16] = 1 // one FAT: see the comment at the top of this file
	binary.LittleEndian.PutUint16(b[17:], fatRootEntries)
	// b[19:21] (16-bit sector count) stays 0: the 32-bit count below holds it.
	b[21] = 0xf8 // fixed disk
	binary.LittleEndian.PutUint16(b[22:], fatSectors)
	binary.LittleEndian.PutUint16(b[24:], 32) // sectors per track, for BIOS only
	binary.LittleEndian.PutUint16(b[26:], 64) // heads, for BIOS only
	binary.LittleEndian.PutUint32(b[28:], hidden)
	binary.LittleEndian.PutUint32(b[32:], totalSectors)
	b[36] = 0x80 // drive number
	b[38] = 0x29 // extended boot signature: the next three fields are valid
	binary.LittleEndian.PutUint32(b[39:], 0x4b415352)
	l := pad83(label)
	copy(b[43:], l[:])
	copy(b[54:], "FAT16   ")
	b[510], b[511] = 0x55, 0xaa
	return b
}

// fatTime encodes t (in UTC) as FAT's time and date; FAT starts in 1980.
func fatTime(t time.Time) (tm, date uint16) {
	t = t.UTC()
	if t.Year() < 1980 {
		t = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	tm = uint16(t.Hour()<<11 | t.Minute()<<5 | t.Second()/2)
	date = uint16((t.Year()-1980)<<9 | int(t.Month())<<5 | t.Day())
	return tm, date
}

func joinEntries(es [][]byte) []byte {
	var b []byte
	for _, e := range es {
		b = append(b, e...)
	}
	return b
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
