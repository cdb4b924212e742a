# Kasir: `make run` starts a demo till; `make test` runs every test, after
# installing what the tests need.
GO      ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
DATA    ?= ./data
HTTP    ?= 127.0.0.1:8080

.PHONY: run build test test-short bench deps vet fmt clean

# run: head office with its embedded broker and one demo till connected to
# it (scripts/run-demo). The till keeps selling when head office is down.
run: build
	DATA=$(DATA) HTTP=$(HTTP) ./scripts/run-demo

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/kasir ./cmd/kasir
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/kasir-hq ./cmd/kasir-hq

# deps installs the Debian packages the tests use: Chromium for the
# end-to-end test. It needs root (CI runs as root).
deps:
	@./.ci/deps

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

test: deps vet
	$(GO) test -count=1 -timeout 40m ./...

# test-short skips the slow tests (crash loop, browser) for the edit loop.
test-short:
	$(GO) test -short -timeout 10m ./...

bench: build
	$(GO) run ./bench

clean:
	rm -rf bin
