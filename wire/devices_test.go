package wire

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDevicesProblems(t *testing.T) {
	for _, tt := range []struct {
		name, json, want string
	}{
		{"good", `{"printer":{"transport":"usb","path":"/dev/usb/lp0","profile":"epson-tm-t82"},
			"drawer":{"kind":"gpio","relay":"GPIO17","sensor":"GPIO27","left_open_after":"45s"},
			"display":{"path":"/dev/ttyUSB1","protocol":"cd5220"},"scanners":[{"path":"/dev/ttyACM0"}]}`, ""},
		{"no path", `{"printer":{"transport":"serial","profile":"generic-58"}}`, "needs a path"},
		{"bad transport", `{"printer":{"transport":"bluetooth"}}`, "use serial, usb, tcp or virtual"},
		{"tcp no addr", `{"printer":{"transport":"tcp"}}`, "addr host:9100"},
		{"columns", `{"printer":{"transport":"virtual","columns":40}}`, "use 32, 42 or 48"},
		{"kick pin", `{"drawer":{"kind":"printer","kick_pin":3}}`, "use 2 or 5"},
		{"relay", `{"drawer":{"kind":"gpio"}}`, "needs relay"},
		{"left open", `{"drawer":{"kind":"virtual","left_open_after":"soon"}}`, "left_open_after"},
		{"display", `{"display":{"path":"/dev/x","protocol":"vfd"}}`, "cd5220 or epson"},
		{"scanner", `{"scanners":[{"baud":9600}]}`, "scanner 1: path"},
		{"unknown field", `{"printr":{}}`, "unknown field"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "devices.json")
			os.WriteFile(p, []byte(tt.json), 0o644)
			_, err := ReadDevices(p)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error saying %q", err, tt.want)
			}
		})
	}
}
