// Package demo is a made-up but realistic Indonesian minimarket catalog: the
// products a till shows before head office has sent a real one, in the
// screenshots, and in tests and benchmarks that need a full shelf.
//
// Everything here is deterministic: the same build always yields the same
// products, SKUs and barcodes, so tests and recorded demos do not drift. The
// package must never read files, the network or the clock.
package demo
