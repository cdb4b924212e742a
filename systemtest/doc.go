// Package systemtest runs the whole system as its users do: head office
// (kasir-hq serve with its embedded broker) and a till (kasir serve
// provisioned by `kasir-hq till add`), as separate processes built from
// this tree, on loopback addresses. It has tests only.
package systemtest
