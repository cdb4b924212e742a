package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	for _, tt := range []struct {
		args    []string
		wantErr string
		wantOut string
	}{
		{args: nil, wantErr: "no command"},
		{args: []string{"help"}, wantOut: "build   build the disk image"},
		{args: []string{"frobnicate"}, wantErr: `unknown command "frobnicate"`},
		{args: []string{"build", "--target", "pc", "--out", t.TempDir()}, wantErr: `unknown target "pc"`},
		{args: []string{"build", "extra"}, wantErr: "unexpected arguments"},
		{args: []string{"help"}, wantOut: "push    update a till over the LAN"},
		{args: []string{"push", "--image", "x.img", "--password-file", "pw"}, wantErr: "--till is required"},
		{args: []string{"push", "--till", "h", "--image", "x.img"}, wantErr: "--password-file is required"},
		{args: []string{"push", "--till", "h", "--password-file", "pw"}, wantErr: "either --image or --root and --boot"},
		{args: []string{"push", "--till", "h", "--password-file", "pw", "--image", "x", "--root", "r"}, wantErr: "either --image or --root and --boot"},
		{args: []string{"push", "--till", "h", "--password-file", "pw", "--root", "r"}, wantErr: "--root and --boot go together"},
		{args: []string{"push", "--till", "h", "--password-file", "/nonexistent/pw", "--image", "x"}, wantErr: "password"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, &stdout, &stderr)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if !strings.Contains(stdout.String(), tt.wantOut) {
				t.Errorf("stdout = %q, want %q in it", stdout.String(), tt.wantOut)
			}
		})
	}
}
