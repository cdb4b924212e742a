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
// Push updates a running till over the network through gokrazy's update
// endpoints (see Push): the root to the inactive root partition, the boot
// partition, the switch of cmdline.txt's root=, a reboot, each upload
// checked against the SHA-256 the till answers. It authenticates with the
// till's own password, which the till's init generates at first boot into
// /perm/gokr-pw.txt and prints once on the console (the serial header and
// the screen) for the technician; there is no shared default.
//
// The package must never touch a disk other than the image file it
// writes: FormatPerm is for the init on the till, and for tests on files.
package image
