// Package wire is the contract between tills and head office over MQTT: the
// topic names, the messages on them (batches of outbox records, head
// office's acks, presence, config acks) and the signed envelope that carries
// catalogs and configs down. Both sides import it; it imports only the
// domain's types and the standard library, and knows nothing of MQTT
// clients, brokers or databases.
package wire
