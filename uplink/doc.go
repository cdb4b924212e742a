// Package uplink is the till's side of the wire: it drains the outbox to
// head office over MQTT, applies head office's acknowledgements, keeps the
// till's presence on its status topic and hands catalog and config
// messages to whoever applies them.
//
// A record leaves the outbox only when head office's retained ack, for this
// database's epoch, covers it. The uplink must never delete or acknowledge
// anything because the broker sent a PUBACK or a client library completed a
// token: after a reconnect a token can complete for a message the broker
// never stored. It resends from the lowest unacknowledged record after
// every connect, and again when acks stall; head office dedupes.
//
// Selling must never wait for it: Kick, Online and State return at once,
// whatever the network does. The uplink reaches MQTT only through the Conn
// interface that the main's Dial returns (mqttconn in production); it does
// not import the client library.
package uplink
