package broker

import (
	"fmt"
	"strings"
)

// Allowed reports whether u may write to (or subscribe with) topic. A till
// writes only under pos/up/{store}/{till}/ and reads its own acks and
// configs, its store's catalog and config, and the fleet's config.
func Allowed(u User, topic string, write bool) bool {
	switch u.Role {
	case RoleHQ:
		return strings.HasPrefix(topic, "pos/") || strings.HasPrefix(topic, "$share/kasir/pos/")
	case RoleTill:
		if strings.ContainsAny(topic, "+#") || strings.HasPrefix(topic, "$") {
			return false
		}
		if write {
			return strings.HasPrefix(topic, "pos/up/"+u.Store+"/"+u.Till+"/")
		}
		switch topic {
		case "pos/down/" + u.Store + "/catalog", "pos/down/" + u.Store + "/config", "pos/down/all/config", "pos/down/all/keys":
			return true
		}
		return strings.HasPrefix(topic, "pos/down/"+u.Store+"/"+u.Till+"/")
	}
	return false
}

// ACLFor prints the Mosquitto ACL lines that give a till the same access as
// the embedded broker does.
func ACLFor(username, store, till string) string {
	return fmt.Sprintf(`user %s
topic write pos/up/%s/%s/#
topic read pos/down/%s/%s/#
topic read pos/down/%s/catalog
topic read pos/down/%s/config
topic read pos/down/all/config
topic read pos/down/all/keys
`, username, store, till, store, till, store, store)
}
