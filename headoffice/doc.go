// Package headoffice is the head-office side of Kasir: it ingests the tills'
// records exactly once, keeps the fleet's state as the tills report it, and
// serves the fleet and sales views.
//
// Ingest is idempotent on (store, till, epoch, seq) and applies each till's
// series in seq order: a record at or below the applied high-water mark is a
// duplicate and ignored, one above it waits as pending until every earlier
// seq has arrived, and the gap between is reported. The acknowledgement a
// till may act on (it deletes its outbox rows) is returned only after the
// transaction that applied the records has committed; the Worker publishes it
// only then. Several workers, in one process or many, may ingest into the
// same database: each Ingest is one write transaction that re-reads the
// high-water mark inside it.
//
// Store is the interface the worker and the HTTP handler use; DB implements
// it on SQLite (one head-office process, a small fleet) and PG on PostgreSQL
// (several ingest workers, a large fleet), where each Ingest locks its
// series row (SELECT … FOR UPDATE) so concurrent workers stay in order.
//
// What it must never do: acknowledge a record it has not committed, apply a
// till's records out of order, trust a message's store or till over the
// topic it came on, or block the MQTT client's callback goroutine.
package headoffice
