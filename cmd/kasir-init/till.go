package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
)

// Where the till keeps its data, and how it is started; see image.ServeArgsPath.
const (
	tillBinary = "/user/kasir"
	dataDir    = "/perm/kasir"
	httpAddr   = ":8080"
	serveArgs  = "/etc/kasir/serve.args"
	permConfig = "/perm/kasir.json"
	// permSetupPIN is made at first boot by ensureSetupPIN.
	permSetupPIN = "/perm/kasir-setup-pin.txt"
	// permPassword is gokrazy's update password, made at first boot.
	permPassword = "/perm/gokr-pw.txt"
)

// runTill runs `kasir serve` on /perm and waits for it. Its output goes to
// gokrazy's log (this process's stdout and stderr) and to the console.
func runTill(extra []string) error {
	args := []string{"serve", "--data", dataDir, "--http", httpAddr, "--setup-pin-file", permSetupPIN, "--set-hostname",
		"--update-password-file", permPassword}
	demo := false
	if b, err := os.ReadFile(serveArgs); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				args = append(args, l)
				demo = demo || l == "--demo"
			}
		}
	}
	// The provisioning file always, but on a demo image that has none:
	// without a valid one the till shows its setup screen (behind the
	// setup PIN) rather than sell unidentified, and saves what the
	// technician enters there.
	if _, err := os.Stat(permConfig); err == nil || !demo {
		args = append(args, "--provision", permConfig)
	}
	args = append(args, extra...)

	var stdout, stderr io.Writer = os.Stdout, os.Stderr
	if c, err := os.OpenFile("/dev/console", os.O_WRONLY, 0); err == nil {
		defer c.Close()
		stdout, stderr = io.MultiWriter(os.Stdout, c), io.MultiWriter(os.Stderr, c)
	}
	cmd := exec.Command(tillBinary, args...)
	out, outDone := prefixed(stdout)
	errw, errDone := prefixed(stderr)
	cmd.Stdout, cmd.Stderr = out, errw
	// gokrazy signals the whole process group, so the till gets SIGTERM
	// itself; this process only waits for it to finish, so that the
	// supervisor never starts a second till while the first still holds
	// the database. (Notify, not Ignore: an ignored signal would stay
	// ignored in the till across exec.)
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	go func() {
		for range sigs {
		}
	}()
	err := cmd.Run()
	out.Close()
	errw.Close()
	<-outDone
	<-errDone
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		os.Exit(ee.ExitCode())
	}
	if err != nil {
		return fmt.Errorf("run %s: %w", tillBinary, err)
	}
	return nil
}

// prefixed writes each line with "till: " before it, so the console tells
// the till's lines from the kernel's and gokrazy's.
func prefixed(w io.Writer) (io.WriteCloser, <-chan struct{}) {
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		s := bufio.NewScanner(pr)
		s.Buffer(make([]byte, 64<<10), 1<<20)
		for s.Scan() {
			fmt.Fprintf(w, "till: %s\n", s.Text())
		}
		io.Copy(io.Discard, pr)
	}()
	return pw, done
}
