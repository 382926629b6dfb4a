# fgd-sync — `make run` runs the service, `make test` runs the tests.
GO       ?= go
BIN      ?= bin
PKGS     := ./...
# Tests run on HEDGEHOG_FGD_TEST_REDIS_URL when set, else on a private
# redis-server, else on the embedded miniredis.
# -race needs cgo and a C compiler; without one the tests run without it.
RACE      := $(shell command -v $${CC:-gcc} >/dev/null 2>&1 && echo -race)
TESTFLAGS ?= $(RACE) -count=1 -timeout 9m

export HEDGEHOG_FGD_FABRICS_FILE ?= examples/fabrics.yaml

.PHONY: all build run test promtool chaos bench bench-memory fuzz lint golangci-lint demo clean

all: lint test build

# Version and commit stamped into the binaries (internal/buildinfo); without
# git (a source tarball) they are left empty and the binaries fall back to the
# Go toolchain's build info; set them by hand with make VERSION=v1.2.3 COMMIT=…
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null)
BUILDINFO := github.com/githedgehog/fgd-sync/internal/buildinfo
LDFLAGS   := -X $(BUILDINFO).Version=$(VERSION) -X $(BUILDINFO).Commit=$(COMMIT)

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/...

## run: the webhook server and a worker; on the embedded Redis unless HEDGEHOG_FGD_REDIS_URL is set
run:
	$(GO) run ./cmd/webhook

test:
	$(GO) test $(TESTFLAGS) $(PKGS)

## chaos: the fault suite (real Redis master, replicas and Sentinels, the real
## binaries, failovers and kills under load); needs redis-server and git
chaos:
	$(GO) test -tags chaos -count=1 -timeout 6m -v -run TestFaultSuite ./chaos/

## promtool: build the promtool pinned in deploy/tools/go.mod into bin/ (a
## long build: ~13 min on 2 cores, once); the alert-rule test uses it.
promtool:
	@test -x $(BIN)/promtool || $(GO) -C deploy/tools build -o ../../$(BIN)/promtool github.com/prometheus/prometheus/cmd/promtool

## bench: benchmarks (webhook throughput and latency at 1,000/s on Redis with AOF, the webhook against
## the yardstick receiver with its RSS at 5,000/s, fabric matching, fgdctl ingest against yq and
## fgdctl validate against kubeconform -strict on the 10,126-document corpus)
bench:
	$(GO) test -run '^$$' -bench 'WebhookDelivery' -benchmem -benchtime 3s ./handlers/
	$(GO) test -run '^$$' -bench 'WebhookFixedRate' -benchtime 1x ./handlers/
	$(GO) test -run '^$$' -bench 'Receivers' -benchtime 1x -timeout 5m ./handlers/
	$(GO) test -run '^$$' -bench . -benchmem ./fabrics/
	$(GO) test -run '^$$' -bench . -benchmem -cpu 1,2 ./ingestion/
	$(GO) test -run '^$$' -bench 'SyncLatency|FiftyFabrics' -benchtime 1x ./e2e/
	$(GO) test -run '^$$' -bench 'CommitLargeTree' -benchtime 3x ./github/gitcache/
	$(GO) test -run '^$$' -bench 'Match' ./registry/
	$(GO) test -run '^$$' -bench 'WebhookReplicatedAck' -benchtime 3s ./app/
	$(GO) test -run '^$$' -bench 'IngestVsYq' -benchtime 1x ./cmd/fgdctl/
	$(GO) test -run '^$$' -bench 'ValidateVsKubeconform' -benchtime 1x ./cmd/fgdctl/
	@$(MAKE) -s bench-memory

## bench-memory: peak RSS of fgdctl ingest on the 10,126-document corpus
bench-memory:
	@dir=$$(mktemp -d) && $(GO) run ./internal/benchcorpus/gen $$dir && $(GO) build -o $(BIN)/fgdctl ./cmd/fgdctl && \
	  /usr/bin/time -v $(BIN)/fgdctl ingest $$dir 2>&1 | grep -E 'resources created|Maximum resident|Elapsed' ; rm -rf $$dir

## fuzz: run every fuzz target of the module, each for FUZZTIME (default 5m)
FUZZTIME         ?= 5m
# Minimizing a new input re-runs it many times; the webhook's inputs are
# GitHub-sized payloads, so the default minute would eat the fuzzing time.
FUZZMINIMIZETIME ?= 10s
fuzz:
	@set -e; grep -H '^func Fuzz' $$(git ls-files '*_test.go') | while IFS=: read -r file decl; do \
	  target=$$(echo "$$decl" | sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/'); \
	  echo "== ./$$(dirname $$file) $$target ($(FUZZTIME))"; \
	  $(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) ./$$(dirname $$file); \
	done

## lint: golangci-lint (.golangci.yml), go vet and the gofmt check
# golangci-lint is installed into $(go env GOPATH)/bin when missing or of another
# version; it is built by the local Go, so it understands the go.mod's language version.
GOLANGCI_LINT_VERSION ?= v2.15.0
GOLANGCI_LINT         := $(or $(shell $(GO) env GOBIN),$(shell $(GO) env GOPATH)/bin)/golangci-lint
lint: golangci-lint
	$(GOLANGCI_LINT) run $(PKGS)
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

golangci-lint:
	@if [ "$$($(GOLANGCI_LINT) version --short 2>/dev/null)" != "$(GOLANGCI_LINT_VERSION:v%=%)" ]; then \
	  echo "installing golangci-lint $(GOLANGCI_LINT_VERSION) into $(dir $(GOLANGCI_LINT))"; \
	  $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION); \
	fi

## demo: the whole sync on this machine: local git server, embedded Redis, signed webhook
demo:
	$(GO) run ./internal/demo

clean:
	rm -rf $(BIN)
