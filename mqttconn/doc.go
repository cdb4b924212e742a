// Package mqttconn is Kasir's one adapter to an MQTT client library
// (eclipse/paho.mqtt.golang). It gives the rest of the program a small,
// context-aware connection: dial once, publish and wait for the broker's
// PUBACK, subscribe, close. Only the mains and tests import it; the uplink
// is handed a connection through an interface and never sees paho.
//
// It must never reconnect on its own (paho's AutoReconnect and
// ConnectRetry are off): the caller owns reconnects and backoff, and after
// every reconnect restarts from what head office acknowledged. It must never
// be taken as proof of delivery: a completed publish token only says that
// the broker answered, and after a reconnect paho can complete a token for a
// message the broker never stored. Nothing may be deleted because Publish
// returned nil.
package mqttconn
