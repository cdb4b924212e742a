package wire

// Topics (MQTT 3.1.1). {store} and {till} are the codes in the till's
// provisioning; they never contain MQTT wildcards or slashes (ValidCode).
func SalesTopic(store, till string) string     { return "pos/up/" + store + "/" + till + "/sales" }
func ShiftTopic(store, till string) string     { return "pos/up/" + store + "/" + till + "/shift" }
func StatusTopic(store, till string) string    { return "pos/up/" + store + "/" + till + "/status" }
func ConfigAckTopic(store, till string) string { return "pos/up/" + store + "/" + till + "/config-ack" }
func AckTopic(store, till string) string       { return "pos/down/" + store + "/" + till + "/ack" }
func CatalogTopic(store string) string         { return "pos/down/" + store + "/catalog" }
func StoreConfigTopic(store string) string     { return "pos/down/" + store + "/config" }
func TillConfigTopic(store, till string) string {
	return "pos/down/" + store + "/" + till + "/config"
}

// AllConfigTopic carries config for every till of the fleet.
const AllConfigTopic = "pos/down/all/config"

// Head office subscribes to these. Several ingest workers share the load
// through MQTT shared subscriptions (EMQX, VerneMQ, HiveMQ, Mosquitto 2,
// mochi-mqtt).
const (
	UpSales      = "pos/up/+/+/sales"
	UpShift      = "pos/up/+/+/shift"
	UpStatus     = "pos/up/+/+/status"
	UpConfigAck  = "pos/up/+/+/config-ack"
	SharedPrefix = "$share/kasir/"
)

// ValidCode reports whether a store or till code is safe in a topic.
func ValidCode(s string) bool {
	if s == "" || len(s) > 32 || s == "all" {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
		default:
			return false
		}
	}
	return true
}
