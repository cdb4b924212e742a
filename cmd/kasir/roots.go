package main

// The image has no CA bundle (/etc/ssl is empty on gokrazy): without these
// roots, MQTT over TLS to a broker with a public CA's certificate fails.
// The fallback is used only when the system has no roots of its own.
import _ "golang.org/x/crypto/x509roots/fallback"
