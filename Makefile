# Pantau — the two commands a new machine needs are `make demo` and
# `make test`; both install what is missing first (scripts/setup.sh).
GO        ?= go
BIN       ?= bin/pantau
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)
export PATH := $(CURDIR)/.tools/bin:$(PATH)
# Tests that start brokers, RTSP servers and decoders; keep well under 20 min.
TEST_TIMEOUT ?= 15m

.PHONY: all setup build demo test test-short vet fmt bench testdata models clean

all: build

setup:
	scripts/setup.sh

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/pantau

demo: setup build
	$(BIN) demo

testdata:
	scripts/testdata.sh

# One file with the default detector model, its manifest and licences, for
# a box without registry access (see docs/operations.md).
models:
	scripts/models.sh bundle

# Every test, gocv ones with -tags matprofile so a leaked Mat fails them.
test: setup
	$(GO) vet ./...
	$(GO) test -tags matprofile -count=1 -timeout $(TEST_TIMEOUT) ./...

test-short: setup
	$(GO) test -tags matprofile -short -count=1 ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

bench: setup build
	$(BIN) bench --clip testdata/clips/vtest_h264.mp4
	$(BIN) bench --clip testdata/clips/cam1080_h264.mp4
	$(BIN) bench --clip testdata/clips/cam1080_h265.mp4

clean:
	rm -rf bin
