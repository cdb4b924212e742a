package main

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"

	"github.com/kasirpos/kasir/image"
	"github.com/kasirpos/kasir/internal/durable"
	"github.com/kasirpos/kasir/wire"
)

const (
	permDir      = "/perm"
	provisioning = "kasir.json"
	passwordFile = "gokr-pw.txt" // gokrazy reads /perm/gokr-pw.txt before /etc/gokr-pw.txt
)

// preparePerm mounts /proc, /sys and /dev early (Boot accepts them
// mounted), finds the boot disk, formats /perm when it holds no file
// system (the image ships it empty), and at first boot generates this
// till's gokrazy password and copies kasir.json from the boot partition.
// It unmounts /perm again so that Boot mounts it as always.
func preparePerm() error {
	for _, m := range []struct{ src, dst, fstype string }{
		{"proc", "/proc", "proc"},
		{"sysfs", "/sys", "sysfs"},
		{"devtmpfs", "/dev", "devtmpfs"},
	} {
		if err := syscall.Mount(m.src, m.dst, m.fstype, 0, ""); err != nil && !errors.Is(err, syscall.EBUSY) {
			return fmt.Errorf("mount %s: %w", m.dst, err)
		}
	}
	disk, err := bootDisk()
	if err != nil {
		return err
	}
	perm := partition(disk, image.PermPartition)
	if err := syscall.Mount(perm, permDir, "ext4", 0, ""); err != nil {
		// Format only what the image shipped: an all-zero partition. A
		// /perm that once held a file system and now fails to mount holds
		// the till's sales; it is left alone for recovery.
		empty, berr := blank(perm)
		if berr != nil || !empty {
			return fmt.Errorf("%s does not mount (%v) and is not blank (%v): not formatting it", perm, err, berr)
		}
		log.Printf("kasir-init: %s is blank: formatting it as /perm", perm)
		if err := image.FormatPerm(perm); err != nil {
			return err
		}
		if err := syscall.Mount(perm, permDir, "ext4", 0, ""); err != nil {
			return fmt.Errorf("mount %s after formatting: %w", perm, err)
		}
	}
	defer func() {
		syscall.Sync()
		if err := syscall.Unmount(permDir, 0); err != nil {
			log.Printf("kasir-init: unmount /perm: %v", err)
		}
	}()
	if err := ensurePassword(); err != nil {
		log.Printf("kasir-init: gokrazy password: %v", err)
	}
	boot := partition(disk, image.BootPartition)
	if err := copyProvisioning(boot); err != nil {
		log.Printf("kasir-init: %s: %v", provisioning, err)
	}
	if err := ensureSetupPIN(boot); err != nil {
		log.Printf("kasir-init: setup PIN: %v", err)
	}
	return nil
}

// ensureSetupPIN makes the till's setup PIN at first boot: on /perm, where
// the till reads it, and on the boot partition, where a technician reads it
// from a laptop to open the setup screen. There is no shared default.
func ensureSetupPIN(boot string) error {
	p := filepath.Join(permDir, wire.SetupPINFile)
	if _, err := os.Stat(p); err == nil {
		return nil
	}
	pin, err := wire.NewSetupPIN()
	if err != nil {
		return err
	}
	text := []byte(wire.SetupPINText(pin))
	if err := durable.WriteFile(p, text, 0o600); err != nil {
		return err
	}
	log.Printf("kasir-init: first boot: setup PIN for this till: %s (also in %s on the boot partition)", pin, wire.SetupPINFile)
	if err := syscall.Mount(boot, "/mnt", "vfat", 0, ""); err != nil {
		return fmt.Errorf("mount boot partition %s read-write: %w", boot, err)
	}
	defer syscall.Unmount("/mnt", 0)
	if err := durable.WriteFile(filepath.Join("/mnt", wire.SetupPINFile), text, 0o644); err != nil {
		return fmt.Errorf("write the setup PIN to the boot partition: %w", err)
	}
	return nil
}

// blank reports whether the first MiB of the device is all zero, as the
// image ships /perm. Every file system has its superblock there.
func blank(dev string) (bool, error) {
	f, err := os.Open(dev)
	if err != nil {
		return false, err
	}
	defer f.Close()
	b := make([]byte, 1<<20)
	if _, err := io.ReadFull(f, b); err != nil {
		return false, err
	}
	for _, c := range b {
		if c != 0 {
			return false, nil
		}
	}
	return true, nil
}

var rootPartUUID = regexp.MustCompile(`root=PARTUUID=([0-9a-fA-F]{8})-0[23]\b`)

// bootDisk finds the disk whose MBR signature the kernel's root=PARTUUID=
// names, e.g. /dev/vda or /dev/mmcblk0.
func bootDisk() (string, error) {
	cmdline, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return "", err
	}
	m := rootPartUUID.FindSubmatch(cmdline)
	if m == nil {
		return "", fmt.Errorf("no root=PARTUUID=xxxxxxxx-02 in %q", strings.TrimSpace(string(cmdline)))
	}
	want, _ := strconv.ParseUint(string(m[1]), 16, 32)
	blocks, err := os.ReadDir("/sys/block")
	if err != nil {
		return "", err
	}
	for _, b := range blocks {
		dev := "/dev/" + b.Name()
		f, err := os.Open(dev)
		if err != nil {
			continue
		}
		sig := make([]byte, 4)
		_, err = f.ReadAt(sig, 440)
		f.Close()
		if err == nil && binary.LittleEndian.Uint32(sig) == uint32(want) {
			return dev, nil
		}
	}
	return "", fmt.Errorf("no disk with MBR signature %08x", want)
}

// partition names partition n of disk: /dev/vda4, /dev/mmcblk0p4.
func partition(disk string, n int) string {
	if last := disk[len(disk)-1]; last >= '0' && last <= '9' {
		return disk + "p" + strconv.Itoa(n)
	}
	return disk + strconv.Itoa(n)
}

// ensurePassword gives this till its own gokrazy web UI password at first
// boot: there is no shared default.
func ensurePassword() error {
	p := filepath.Join(permDir, passwordFile)
	if _, err := os.Stat(p); err == nil {
		return nil
	}
	b := make([]byte, 15)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	pw := strings.ToLower(base32.StdEncoding.EncodeToString(b))
	if err := durable.WriteFile(p, []byte(pw+"\n"), 0o600); err != nil {
		return err
	}
	// Once, on the console (the serial header and the screen), for the
	// technician who sets the till up: `kasir-image push` needs it, and
	// later it is only on /perm.
	log.Printf("kasir-init: first boot: update password for this till (gokrazy web UI, user gokrazy): %s", pw)
	return nil
}

// copyProvisioning copies kasir.json from the boot partition to /perm,
// once: from then on the till uses the copy on /perm.
func copyProvisioning(boot string) error {
	dst := filepath.Join(permDir, provisioning)
	if _, err := os.Stat(dst); err == nil {
		return nil
	}
	// /mnt is an empty directory in the read-only root, for this only.
	if err := syscall.Mount(boot, "/mnt", "vfat", syscall.MS_RDONLY, ""); err != nil {
		return fmt.Errorf("mount boot partition %s: %w", boot, err)
	}
	defer syscall.Unmount("/mnt", 0)
	b, err := os.ReadFile(filepath.Join("/mnt", provisioning))
	if errors.Is(err, fs.ErrNotExist) {
		log.Printf("kasir-init: no %s on the boot partition: the till starts unprovisioned", provisioning)
		return nil
	}
	if err != nil {
		return err
	}
	if err := durable.WriteFile(dst, b, 0o600); err != nil {
		return err
	}
	log.Printf("kasir-init: copied %s from the boot partition to /perm", provisioning)
	return nil
}
