# dood-guard developer targets. `make test` is what CI runs (via .ci/run).
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)

.PHONY: build test unit lint bench bench-e2e fuzz plugin demo clean

build: ## the dood-guard binary in bin/
	CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o bin/dood-guard ./cmd/dood-guard

test: ## every test: lint, unit, Rego, fuzz seeds, short fuzzing, integration (needs root)
	scripts/test.sh

unit: ## unit and Rego tests only (no daemon, no root)
	$(GO) test ./...

lint: ## gofmt and go vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt needed'; exit 1; }
	$(GO) vet ./...

bench: ## decision-path benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./plugin/...

bench-e2e: ## end-to-end benchmark against private dockerds 20.10 and 29 (root, 3-4 minutes per engine)
	scripts/bench.sh

fuzz: ## fuzz each Fuzz* target for FUZZTIME (default 30s)
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(or $(FUZZTIME),30s) $$pkg || exit 1; \
	  done; \
	done

plugin: ## managed plugin directory (config.json + rootfs) in dist/plugin
	scripts/build-plugin.sh dist/plugin

demo: ## run the plugin for real against a sandboxed dockerd
	scripts/demo.sh

clean:
	rm -rf bin dist
