# vouch developer targets. `make help` lists them.
#
# Everything runs with the Go on the machine (GOTOOLCHAIN=local): go.mod's go
# line is the floor, and no target downloads a toolchain.

GO ?= go
export GOTOOLCHAIN := local

BIN := $(CURDIR)/bin

# Version stamped into bin/vouch; release builds get theirs from goreleaser.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
COMMIT ?= $(shell git rev-parse --verify -q HEAD 2>/dev/null)
DATE ?= $(shell TZ=UTC git log -1 --format=%cd \
	--date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)

# Tool versions, each the newest release that builds with Go 1.26.8.
# staticcheck runs through `go run pkg@version` rather than a go.mod tool line:
# a tool line would raise golang.org/x/tools and BurntSushi/toml for the whole
# module; golangci-lint is installed into bin/ for the same reason.
# goreleaser is a Go tool of the separate tools/ module, which pins its
# version and checksums (v2.17.0; v2.18 and later need Go 1.27).
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOLANGCI_LINT_VERSION := v2.15.0

# Benchmark knobs: `make bench BENCHTIME=20x BENCH=Verify`.
BENCH ?= .
BENCHTIME ?= 5x
BENCHCOUNT ?= 1

.PHONY: all help build cosign test lint fmt-check vet staticcheck golangci-lint \
	demo bench release-check tidy-check ci clean

all: build

help:
	@echo "build          bin/vouch with version info ($(VERSION))"
	@echo "cosign         bin/cosign from the version go.mod pins"
	@echo "test           go test ./..."
	@echo "lint           gofmt check, go vet, staticcheck, golangci-lint"
	@echo "golangci-lint  golangci-lint (.golangci.yml) alone, installed into bin/"
	@echo "demo           go run ./cmd/vouch demo"
	@echo "bench          vouch vs cosign benchmarks in ./bench (see bench/README.md)"
	@echo "release-check  goreleaser check, goreleaser built from tools/go.mod into bin/"
	@echo "tidy-check     fail if go.mod/go.sum or tools/go.mod/go.sum is not tidy"
	@echo "ci             what .ci/run does"

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/vouch ./cmd/vouch

cosign:
	$(GO) build -o $(BIN)/cosign github.com/sigstore/cosign/v2/cmd/cosign

test:
	$(GO) test ./...

lint: fmt-check vet staticcheck golangci-lint

fmt-check:
	@files="$$(gofmt -l $$(git ls-files --cached --others --exclude-standard '*.go'))"; \
	if [ -n "$$files" ]; then \
		echo "gofmt needed on:"; echo "$$files"; exit 1; \
	fi

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) run $(STATICCHECK) ./...

golangci-lint: $(BIN)/.golangci-lint-$(GOLANGCI_LINT_VERSION)
	$(BIN)/golangci-lint run ./...

demo:
	$(GO) run ./cmd/vouch demo

bench:
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchtime $(BENCHTIME) \
		-count $(BENCHCOUNT) -timeout 60m ./bench/

release-check:
	$(GO) -C tools build -o $(BIN)/goreleaser github.com/goreleaser/goreleaser/v2
	$(BIN)/goreleaser check

tidy-check:
	$(GO) mod tidy -diff
	$(GO) -C tools mod tidy -diff
	$(GO) -C tools/fulcio mod tidy -e -diff

ci:
	bash .ci/run

clean:
	rm -rf $(BIN) dist

# Tools installed into bin/. The stamp files name the version, so changing
# a pin above reinstalls the tool.
$(BIN)/.golangci-lint-$(GOLANGCI_LINT_VERSION):
	GOBIN=$(BIN) $(GO) install \
		github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	@touch $@
