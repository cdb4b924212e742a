package main

import "strings"

// hostnameFor names a till on the LAN after its store and till codes:
// S001, T01 → kasir-s001-t01. Codes are letters, digits, - and _; a
// hostname takes no _ and at most 63 characters.
func hostnameFor(store, till string) string {
	name := strings.ToLower("kasir-" + store + "-" + till)
	name = strings.ReplaceAll(name, "_", "-")
	if len(name) > 63 {
		name = name[:63]
	}
	return strings.TrimRight(name, "-")
}
