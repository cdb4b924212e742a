package image

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// NeedTools is for the external tests.
var NeedTools = needTools

// needTools installs what the test runs (as root, from Debian's packages)
// and fails when it cannot: a missing tool is no reason to skip.
func needTools(t *testing.T) {
	t.Helper()
	var need []string
	for tool, pkg := range map[string]string{
		"qemu-system-aarch64":   "qemu-system-arm",
		"aarch64-linux-gnu-gcc": "gcc-aarch64-linux-gnu",
		"fsck.fat":              "dosfstools",
		"unsquashfs":            "squashfs-tools",
		"e2fsck":                "e2fsprogs",
	} {
		if _, err := exec.LookPath(tool); err != nil {
			need = append(need, pkg)
		}
	}
	if _, err := os.Stat("/usr/aarch64-linux-gnu/lib/libc.a"); err != nil {
		need = append(need, "libc6-dev-arm64-cross")
	}
	if len(need) == 0 {
		return
	}
	if os.Getuid() != 0 {
		t.Fatalf("need Debian packages %v (run: sudo apt-get install -y %s)", need, strings.Join(need, " "))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for _, args := range [][]string{
		{"update", "-qq"},
		append([]string{"-o", "DPkg::Lock::Timeout=300", "install", "-y", "-qq", "--no-install-recommends"}, need...),
	} {
		c := exec.CommandContext(ctx, "apt-get", args...)
		c.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("apt-get %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
