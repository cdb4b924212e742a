// Package localstore keeps the till's durable state in one SQLite file: the
// sales journal and its outbox, shifts and cash moves, users, carts in
// progress, the config and its history, and the catalog with its search
// index. It implements appliance.Store and appliance.CatalogStore.
//
// Every business fact is written in one transaction together with its
// journal entry and its outbox row, with WAL and synchronous=FULL, so a
// commit that returned survives a power cut. The schema moves forward only,
// one numbered migration at a time (PRAGMA user_version); a database made by
// a newer program is refused, never downgraded. A database that fails its
// integrity check is refused and left exactly as it was found, for recovery.
//
// What it must never do: speak HTTP or MQTT, look at the clock to decide
// anything but bookkeeping times, or carry business rules (tax, rounding,
// who may void what, when a shift may close). Those live in package
// appliance; this package stores what appliance decided.
package localstore
