// Package broker is head office's embedded MQTT broker (mochi-mqtt): one
// process for a small fleet, with a password per till and topic access by
// role, so that a till can write only its own upward topics and read only
// its own store's downward ones. A fleet that outgrows it points tills and
// head office at a clustered broker instead; the topics and the ACL rules
// are the same (ACLFor prints them for Mosquitto).
//
// It knows nothing of sales or ingest: it moves bytes between clients.
package broker
