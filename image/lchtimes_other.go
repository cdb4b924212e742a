//go:build !unix

package image

import "time"

// lchtimes cannot date a symlink here; the root file system's symlinks
// then carry the build time, and the image is not byte-identical to one
// built on Linux or macOS.
func lchtimes(path string, t time.Time) error { return nil }
