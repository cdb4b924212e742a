package image

import (
	"fmt"
	"io"
	"os"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/ext4"
	"github.com/google/uuid"
)

// PermUUID is the /perm file system's UUID. Every till has the same one;
// gokrazy finds /perm by partition number, not by UUID.
var PermUUID = uuid.MustParse("6b617372-7065-726d-0000-000000000004")

// FormatPerm makes an empty ext4 file system (4 KiB blocks, with a
// journal) on the block device or file at path, over its whole size.
// The till's init calls it at first boot when /perm does not mount: the
// image ships the partition empty, so that it stays byte-identical from
// build to build (an ext4 made now holds the time and a random hash seed),
// and so that a larger card can give /perm all of its space.
func FormatPerm(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("format /perm: %w", err)
	}
	defer f.Close()
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return fmt.Errorf("format /perm: size of %s: %w", path, err)
	}
	id := PermUUID
	fs, err := ext4.Create(file.New(f, false), size, 0, SectorSize, &ext4.Params{
		UUID:            &id,
		SectorsPerBlock: 8,
		VolumeName:      "perm",
		Features: []ext4.FeatureOpt{
			// go-diskfs leaves the resize inode invalid (e2fsck says so);
			// /perm never grows online, so it does without.
			ext4.WithFeatureReservedGDTBlocksForExpansion(false),
		},
	})
	if err != nil {
		return fmt.Errorf("format /perm on %s: %w", path, err)
	}
	if err := fs.Close(); err != nil {
		return fmt.Errorf("format /perm on %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("format /perm on %s: sync: %w", path, err)
	}
	return f.Close()
}
