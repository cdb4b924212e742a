package image

import (
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/diskfs/go-diskfs/backend"
	"github.com/diskfs/go-diskfs/filesystem/squashfs"
)

// File is one entry of the root file system.
type File struct {
	Path   string      // slash separated, relative to /
	Mode   fs.FileMode // permission bits, plus fs.ModeDir or fs.ModeSymlink
	Data   []byte      // file contents, when Source is empty
	Source string      // a host file to copy, for the large binaries
	Target string      // symlink target
}

// writeSquashfs writes the root file system made of files into the
// partition at offset and returns its size. Every file is owned by root
// and dated mtime; go-diskfs stamps the superblock with the current time,
// which is overwritten here so that the same files give the same bytes.
func writeSquashfs(b backend.Storage, offset, size int64, files []File, mtime time.Time) (int64, error) {
	sq, err := squashfs.Create(b, size, offset, 0)
	if err != nil {
		return 0, fmt.Errorf("squashfs: %w", err)
	}
	ws := sq.Workspace()
	defer os.RemoveAll(ws)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	var dirs []string
	for _, f := range files {
		p := filepath.Join(ws, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return 0, err
		}
		switch {
		case f.Mode&fs.ModeDir != 0:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return 0, err
			}
			dirs = append(dirs, p)
			continue
		case f.Mode&fs.ModeSymlink != 0:
			if err := os.Symlink(f.Target, p); err != nil {
				return 0, err
			}
			if err := lchtimes(p, mtime); err != nil {
				return 0, fmt.Errorf("squashfs: date %s: %w", f.Path, err)
			}
			continue
		case f.Source != "":
			if err := copyFile(p, f.Source); err != nil {
				return 0, err
			}
		default:
			if err := os.WriteFile(p, f.Data, 0o644); err != nil {
				return 0, err
			}
		}
		if err := os.Chmod(p, f.Mode.Perm()); err != nil {
			return 0, err
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			return 0, err
		}
	}
	// Directories last, deepest first: writing into one changes its time.
	err = filepath.WalkDir(ws, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	sort.Slice(dirs, func(i, j int) bool { return len(dirs[i]) > len(dirs[j]) })
	for _, d := range dirs {
		if err := os.Chmod(d, 0o755); err != nil {
			return 0, err
		}
		if err := os.Chtimes(d, mtime, mtime); err != nil {
			return 0, err
		}
	}
	// go-diskfs reads each symlink by its path relative to the workspace
	// but resolves it against the working directory, so Finalize runs
	// from the workspace. Build is not safe for concurrent use because of
	// this.
	wd, err := os.Getwd()
	if err != nil {
		return 0, err
	}
	if err := os.Chdir(ws); err != nil {
		return 0, err
	}
	defer os.Chdir(wd)
	var root uint32
	err = sq.Finalize(squashfs.FinalizeOptions{
		Compression: &squashfs.CompressorGzip{CompressionLevel: 9},
		FileUID:     &root,
		FileGID:     &root,
	})
	if err != nil {
		return 0, fmt.Errorf("squashfs: %w", err)
	}
	sb := make([]byte, 96)
	if _, err := b.ReadAt(sb, offset); err != nil {
		return 0, err
	}
	if string(sb[0:4]) != "hsqs" {
		return 0, fmt.Errorf("squashfs: no superblock written")
	}
	binary.LittleEndian.PutUint32(sb[8:], uint32(mtime.Unix()))
	w, err := b.Writable()
	if err != nil {
		return 0, err
	}
	if _, err := w.WriteAt(sb[8:12], offset+8); err != nil {
		return 0, err
	}
	used := int64(binary.LittleEndian.Uint64(sb[40:]))
	if used > size {
		return 0, fmt.Errorf("squashfs: %d bytes do not fit the %d byte partition", used, size)
	}
	return used, nil
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// dirsOf returns the parent directories of the files, so that each is
// listed once with its mode.
func dirsOf(files []File) []File {
	seen := map[string]bool{}
	var out []File
	for _, f := range files {
		if f.Mode&fs.ModeDir != 0 {
			seen[f.Path] = true
		}
	}
	for _, f := range files {
		for d := path.Dir(f.Path); d != "." && d != "/" && !seen[d]; d = path.Dir(d) {
			seen[d] = true
			out = append(out, File{Path: strings.TrimPrefix(d, "/"), Mode: fs.ModeDir | 0o755})
		}
	}
	return out
}
