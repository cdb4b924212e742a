package image

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/diskfs/go-diskfs/backend/file"
)

// Targets.
const (
	TargetVM  = "vm"  // arm64, github.com/gokrazy/kernel.arm64, for qemu-system-aarch64 -M virt
	TargetRPi = "rpi" // Raspberry Pi 3B+/4/5 in arm64 mode
)

// DiskSize is the size of the image: a 2 GiB card is the smallest sold,
// and QEMU's raspi3b wants a power of two.
const DiskSize = 2048 * MiB

// Config says what to build.
type Config struct {
	Target  string // TargetVM or TargetRPi
	Out     string // output directory
	Version string // the till's version, in file names and `kasir version`

	// Source is the kasir module's directory; the Go tool runs there.
	Source string
	// Provision is a kasir.json to put on the boot partition, or "".
	Provision string
	// Demo starts the till with --demo: demo catalog and PINs 1111/9999.
	Demo bool
	// Time dates every file. The zero value means DefaultTime.
	Time time.Time

	Go  string   // the go command; "go" when empty
	Env []string // added to the go command's environment, e.g. GOCACHE=DIR for a cold build
	CC  string   // the arm64 C compiler for cgo SQLite; "aarch64-linux-gnu-gcc" when empty

	Log io.Writer // progress; nil for none
}

// DefaultTime dates every file in an image.
var DefaultTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Result names what Build wrote.
type Result struct {
	Image  string // the raw disk image
	Gzip   string // Image, gzip-compressed
	SHA256 string // sha256sum-style sums of both
	Sum    string // hex SHA-256 of Image
}

// Paths inside the root file system that the init and the builder share.
const (
	InitPath      = "/gokrazy/init"
	TillPath      = "/user/kasir"
	ServeArgsPath = "/etc/kasir/serve.args" // one argument per line, added to `kasir serve`
)

// Build cross-compiles the till, its init and gokrazy's helpers, and
// writes the disk image, its .gz and their sums to cfg.Out.
func Build(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Target != TargetVM && cfg.Target != TargetRPi {
		return nil, fmt.Errorf("image: unknown target %q (want %s or %s)", cfg.Target, TargetVM, TargetRPi)
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	if cfg.Time.IsZero() {
		cfg.Time = DefaultTime
	}
	if cfg.Go == "" {
		cfg.Go = "go"
	}
	if cfg.CC == "" {
		cfg.CC = "aarch64-linux-gnu-gcc"
	}
	if cfg.Source == "" {
		cfg.Source = "."
	}
	logf := func(format string, args ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, format+"\n", args...)
		}
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp(cfg.Out, ".build-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)

	start := time.Now()
	bins, err := compile(ctx, cfg, work)
	if err != nil {
		return nil, err
	}
	logf("compiled in %s", time.Since(start).Round(time.Millisecond))

	kernelMod := "github.com/gokrazy/kernel.arm64"
	if cfg.Target == TargetRPi {
		kernelMod = "github.com/gokrazy/kernel.rpi"
	}
	kernelDir, err := moduleDir(ctx, cfg, kernelMod)
	if err != nil {
		return nil, err
	}
	root, err := rootFiles(cfg, bins, kernelDir)
	if err != nil {
		return nil, err
	}
	boot, err := bootFiles(ctx, cfg, kernelDir)
	if err != nil {
		return nil, err
	}

	name := fmt.Sprintf("kasir-%s-%s.img", cfg.Version, cfg.Target)
	res := &Result{
		Image:  filepath.Join(cfg.Out, name),
		Gzip:   filepath.Join(cfg.Out, name+".gz"),
		SHA256: filepath.Join(cfg.Out, name+".sha256"),
	}
	start = time.Now()
	if err := writeDisk(res.Image, boot, root, cfg.Time); err != nil {
		return nil, err
	}
	logf("wrote %s in %s", res.Image, time.Since(start).Round(time.Millisecond))
	start = time.Now()
	sum, gzSum, err := compress(res.Image, res.Gzip)
	if err != nil {
		return nil, err
	}
	res.Sum = sum
	sums := fmt.Sprintf("%s  %s\n%s  %s\n", sum, name, gzSum, name+".gz")
	if err := writeFileSync(res.SHA256, []byte(sums)); err != nil {
		return nil, err
	}
	logf("compressed in %s", time.Since(start).Round(time.Millisecond))
	return res, nil
}

// compile builds the till (cgo SQLite, linked statically with the cross
// compiler) and the pure Go programs for linux/arm64. It returns the
// binaries by root file system path.
func compile(ctx context.Context, cfg Config, work string) (map[string]string, error) {
	env := slices.Clip(append(append(os.Environ(), cfg.Env...), "GOOS=linux", "GOARCH=arm64", "GOFLAGS=-buildvcs=false"))
	bins := map[string]string{
		TillPath:           filepath.Join(work, "kasir"),
		InitPath:           filepath.Join(work, "init"),
		"/gokrazy/dhcp":    filepath.Join(work, "dhcp"),
		"/gokrazy/ntp":     filepath.Join(work, "ntp"),
		"/gokrazy/randomd": filepath.Join(work, "randomd"),
	}
	till := exec.CommandContext(ctx, cfg.Go, "build", "-trimpath",
		"-tags", "netgo,osusergo,timetzdata",
		"-ldflags", "-s -w -X main.version="+cfg.Version+" -linkmode external -extldflags -static",
		"-o", bins[TillPath], "./cmd/kasir")
	till.Env = append(env, "CGO_ENABLED=1", "CC="+cfg.CC)
	if _, err := exec.LookPath(cfg.CC); err != nil {
		return nil, fmt.Errorf("image: the till needs the arm64 C compiler %s for cgo SQLite (Debian: apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross): %w", cfg.CC, err)
	}
	pure := exec.CommandContext(ctx, cfg.Go, "build", "-trimpath", "-tags", "netgo,osusergo",
		"-ldflags", "-s -w -X main.buildTimestamp="+cfg.Time.UTC().Format(time.RFC3339),
		"-o", work+string(filepath.Separator),
		"./cmd/kasir-init",
		"github.com/gokrazy/gokrazy/cmd/dhcp",
		"github.com/gokrazy/gokrazy/cmd/ntp",
		"github.com/gokrazy/gokrazy/cmd/randomd")
	pure.Env = append(env, "CGO_ENABLED=0")
	for _, c := range []*exec.Cmd{till, pure} {
		c.Dir = cfg.Source
		if out, err := c.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("image: %s: %w\n%s", strings.Join(c.Args, " "), err, out)
		}
	}
	// go build names the binary after the package directory.
	if err := os.Rename(filepath.Join(work, "kasir-init"), bins[InitPath]); err != nil {
		return nil, err
	}
	return bins, nil
}

// moduleDir returns the directory of a module in the module cache,
// downloading it when needed.
func moduleDir(ctx context.Context, cfg Config, mod string) (string, error) {
	c := exec.CommandContext(ctx, cfg.Go, "mod", "download", "-json", mod)
	c.Dir = cfg.Source
	out, err := c.Output()
	if err != nil {
		return "", fmt.Errorf("image: go mod download %s: %w", mod, err)
	}
	var m struct{ Dir, Error string }
	if err := json.Unmarshal(out, &m); err != nil {
		return "", fmt.Errorf("image: go mod download %s: %w", mod, err)
	}
	if m.Dir == "" {
		return "", fmt.Errorf("image: go mod download %s: %s", mod, m.Error)
	}
	return m.Dir, nil
}

// rootFiles lists the root file system: gokrazy's layout (/gokrazy for
// the system, /user for programs, /etc for their configuration, mount
// points for Boot), with the till as /user/kasir.
func rootFiles(cfg Config, bins map[string]string, kernelDir string) ([]File, error) {
	var files []File
	for p, src := range bins {
		files = append(files, File{Path: p[1:], Mode: 0o755, Source: src})
	}
	var args []string
	if cfg.Demo {
		args = append(args, "--demo")
	}
	dir := func(p string) File { return File{Path: p, Mode: fs.ModeDir | 0o755} }
	files = append(files,
		dir("dev"), dir("proc"), dir("sys"), dir("tmp"), dir("perm"), dir("run"), dir("mnt"),
		// go-diskfs follows each symlink while packing (to list its
		// xattrs) and fails on a dangling one. So the links are relative
		// and their targets exist at build time; the two placeholders lie
		// under /tmp and /perm, which Boot mounts over before anything
		// reads them.
		File{Path: "var", Mode: fs.ModeSymlink | 0o777, Target: "perm/var"},
		dir("perm/var"),
		File{Path: "etc/resolv.conf", Mode: fs.ModeSymlink | 0o777, Target: "../tmp/resolv.conf"},
		File{Path: "tmp/resolv.conf", Mode: 0o644},
		// The init, started under this name, runs the till (cmd/kasir-init).
		File{Path: "user/till", Mode: fs.ModeSymlink | 0o777, Target: "../gokrazy/init"},
		File{Path: "etc/hostname", Mode: 0o644, Data: []byte("kasir")},
		File{Path: "etc/hosts", Mode: 0o644, Data: []byte("127.0.0.1 localhost\n::1 localhost\n")},
		// gokrazy's web UI password: the file being there turns password
		// mode on; empty, it answers only on its unix socket until the
		// init has made /perm/gokr-pw.txt, which is read first.
		File{Path: "etc/gokr-pw.txt", Mode: 0o644, Data: nil},
		File{Path: strings.TrimPrefix(ServeArgsPath, "/"), Mode: 0o644, Data: []byte(strings.Join(args, "\n"))},
	)
	// Kernel module metadata, as gokr-packer copies it, for Boot's modprobe.
	lib := filepath.Join(kernelDir, "lib")
	err := filepath.WalkDir(lib, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == lib {
			return err
		}
		rel, _ := filepath.Rel(kernelDir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir():
			files = append(files, dir(rel))
		case d.Type().IsRegular():
			files = append(files, File{Path: rel, Mode: 0o644, Source: p})
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return append(files, dirsOf(files)...), nil
}

// bootFiles lists the boot partition: the kernel, cmdline.txt, the
// provisioning file and, for the Pi, its firmware and device trees.
func bootFiles(ctx context.Context, cfg Config, kernelDir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	read := func(name, src string) error {
		b, err := os.ReadFile(src)
		if err != nil {
			return fmt.Errorf("image: boot partition: %w", err)
		}
		files[name] = b
		return nil
	}
	if err := read("vmlinuz", filepath.Join(kernelDir, "vmlinuz")); err != nil {
		return nil, err
	}
	cmdline := []string{RootCmdline(RootA), "init=" + InitPath, "rootwait", "panic=10", "oops=panic"}
	switch cfg.Target {
	case TargetVM:
		cmdline = append([]string{"console=ttyAMA0,115200"}, cmdline...)
	case TargetRPi:
		cmdline = append([]string{"console=serial0,115200", "console=tty1"}, cmdline...)
		fw, err := moduleDir(ctx, cfg, "github.com/gokrazy/firmware")
		if err != nil {
			return nil, err
		}
		for _, src := range []struct{ dir, glob string }{
			{fw, "*.bin"}, {fw, "*.elf"}, {fw, "*.dat"},
			{kernelDir, "*.dtb"}, {kernelDir, "overlays/*"},
		} {
			ms, err := filepath.Glob(filepath.Join(src.dir, src.glob))
			if err != nil {
				return nil, err
			}
			for _, m := range ms {
				rel, _ := filepath.Rel(src.dir, m)
				if err := read(filepath.ToSlash(rel), m); err != nil {
					return nil, err
				}
			}
		}
		files["config.txt"] = []byte(rpiConfig)
	}
	files["cmdline.txt"] = []byte(strings.Join(cmdline, " ") + "\n")
	files[VersionFile] = []byte(cfg.Version + "\n")
	if cfg.Provision != "" {
		if err := read("kasir.json", cfg.Provision); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// rpiConfig is config.txt for the Pi firmware.
const rpiConfig = `# Kasir till: Raspberry Pi 3B+/4/5, 64-bit.
arm_64bit=1
kernel=vmlinuz
enable_uart=1
# The serial console on the GPIO header runs on the mini UART (ttyS0).
dtoverlay=miniuart-bt
disable_splash=1
`

// writeDisk writes the image file: partition table, boot partition, root
// A and B, and an empty /perm.
func writeDisk(name string, boot map[string][]byte, root []File, mtime time.Time) error {
	if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Truncate(DiskSize); err != nil {
		return err
	}
	ps, err := Layout(DiskSize)
	if err != nil {
		return err
	}
	if err := writeMBR(f, ps); err != nil {
		return err
	}
	bp := ps[BootPartition-1]
	if err := writeFAT(f, bp.Offset, bp.Size, uint32(bp.Offset/SectorSize), "KASIR", boot, mtime); err != nil {
		return err
	}
	a, b := ps[RootA-1], ps[RootB-1]
	used, err := writeSquashfs(file.New(f, false), a.Offset, a.Size, root, mtime)
	if err != nil {
		return err
	}
	// Root B starts as a copy of A, so that either boots.
	sq := make([]byte, used)
	if _, err := f.ReadAt(sq, a.Offset); err != nil {
		return err
	}
	if _, err := f.WriteAt(sq, b.Offset); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

// compress writes name's gzip to gz (no name or time in its header, so the
// same image gives the same .gz) and returns both SHA-256 sums.
func compress(name, gz string) (imgSum, gzSum string, err error) {
	in, err := os.Open(name)
	if err != nil {
		return "", "", err
	}
	defer in.Close()
	out, err := os.Create(gz)
	if err != nil {
		return "", "", err
	}
	defer out.Close()
	hi, ho := sha256.New(), sha256.New()
	zw, err := gzip.NewWriterLevel(io.MultiWriter(out, ho), gzip.BestSpeed)
	if err != nil {
		return "", "", err
	}
	if _, err := io.Copy(io.MultiWriter(zw, hi), in); err != nil {
		return "", "", err
	}
	if err := zw.Close(); err != nil {
		return "", "", err
	}
	if err := out.Sync(); err != nil {
		return "", "", err
	}
	return hex.EncodeToString(hi.Sum(nil)), hex.EncodeToString(ho.Sum(nil)), out.Close()
}

func writeFileSync(name string, b []byte) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, bytes.NewReader(b)); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
