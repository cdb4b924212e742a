// Package image builds the till's bootable disk image: one image for every
// till, in gokrazy's layout (see Layout), written in pure Go so that a
// technician's laptop can build it too; only the till's cgo SQLite needs
// the arm64 C cross compiler.
//
// Build cross-compiles the till (cmd/kasir), its init (cmd/kasir-init) and
// gokrazy's dhcp, ntp and randomd; lays out the read-only root (squashfs,
// written twice: root A and root B); writes the FAT16 boot partition with
// the kernel, cmdline.txt and kasir.json (and for the Pi, its firmware and
// device trees); and leaves /perm empty for the init to format at first
// boot. The same sources give the same bytes: every file is dated
// Config.Time and every directory is sorted.
//
// The package must never touch a disk other than the image file it
// writes: FormatPerm is for the init on the till, and for tests on files.
package image
