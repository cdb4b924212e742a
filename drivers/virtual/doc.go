// Package virtual is the till's stand-in hardware for demos and tests: a
// printer that keeps every job as a text file in a folder, and a drawer that
// counts its openings. It imports nothing of the till's domain; the main
// adapts receipts to it, as it will for the real drivers.
package virtual
