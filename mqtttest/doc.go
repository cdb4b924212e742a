// Package mqtttest runs a real Mosquitto broker for tests: Debian's
// /usr/sbin/mosquitto on a free loopback port, with a password file and an
// ACL file, stopped when the test ends. Kill and Restart let fault tests
// take the broker away mid-drain; Proxy sits between a client and the
// broker and cuts connections without a DISCONNECT (so the broker publishes
// last wills), stalls them, delays them, or does all of it at random from a
// seed (Chaos).
//
// A test that needs a broker fails, never skips, when Mosquitto is missing:
// `make deps` installs it. The package must never listen on anything but
// 127.0.0.1.
package mqtttest
