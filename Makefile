# Kasir: `make run` starts a demo till; `make test` runs every test, after
# installing what the tests need.
GO      ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
DATA    ?= ./data
HTTP    ?= 127.0.0.1:8080

.PHONY: run build test test-short bench deps vet fmt clean
.PHONY: image image-deps
IMAGE_TARGET ?= rpi

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

bench: build deps
	$(GO) run ./bench

clean:
	rm -rf bin

# image: the till's disk image for IMAGE_TARGET (rpi: Raspberry Pi 3B+/4/5;
# vm: QEMU -M virt) in bin/image: kasir-VERSION-TARGET.img, .img.gz, .img.sha256.
# The till's cgo SQLite is cross-compiled with Debian's arm64 gcc (image-deps).
image: image-deps
	$(GO) run ./cmd/kasir-image build --target $(IMAGE_TARGET) --out bin/image --version $(VERSION)

# image-push: update a running till over the LAN with the image `make image`
# built: make image-push TILL=192.168.1.20 PASSWORD_FILE=till-pw.txt
# (the password the till printed on its console at first boot).
.PHONY: image-push
image-push:
	$(GO) run ./cmd/kasir-image push --till $(TILL) --password-file $(PASSWORD_FILE) \
	  --image bin/image/kasir-$(VERSION)-$(IMAGE_TARGET).img

image-deps:
	@command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 && [ -e /usr/aarch64-linux-gnu/lib/libc.a ] || { \
	  [ "$$(id -u)" -eq 0 ] || { echo "image: need root to install gcc-aarch64-linux-gnu libc6-dev-arm64-cross" >&2; exit 1; }; \
	  echo "image: installing gcc-aarch64-linux-gnu libc6-dev-arm64-cross"; \
	  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends \
	    gcc-aarch64-linux-gnu libc6-dev-arm64-cross >/dev/null; }
