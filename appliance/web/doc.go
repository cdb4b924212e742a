// Package web serves the till's HTTP API (/api/v1, see docs/api.md) and its
// embedded touchscreen UI. It turns requests into calls on appliance.Till and
// errors into {"error":{"code","message"}} with a sentence the cashier can
// read. It holds no business rules and never touches the database, the
// printer or the network itself.
package web
