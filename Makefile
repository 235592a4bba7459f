# Every target installs what it needs first: the pinned Node (npm package `node`), the npm
# dependencies and, for tests, the test control plane. Nothing is expected on the machine but
# npm, Go and make.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# npm scripts and tools run on the project's pinned Node, not the machine's.
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
NODE := $(CURDIR)/node_modules/.bin/node
DEPS_STAMP := node_modules/.deps-stamp

.PHONY: help deps build helper lint typecheck test unit bench demo clean crds controlplane

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(DEPS_STAMP): package.json package-lock.json
	@echo "==> installing npm dependencies and the pinned Node (npm ci)"
	npm ci --no-fund --no-audit
	@$(NODE) -e 'const [maj]=process.versions.node.split(".").map(Number); if (maj < 24) { console.error("pinned Node is " + process.version + ", want 24+"); process.exit(1) }'
	@touch $@

deps: $(DEPS_STAMP) ## install npm dependencies and the pinned Node

build: deps helper ## compile TypeScript to dist/ (the CLI is ./bin/mcp-residency) and the capture helper
	@echo "==> compiling (tsc) and copying the data files the code reads at run time"
	tsc -p tsconfig.build.json
	$(NODE) scripts/copy-assets.ts
	@chmod +x dist/cli/main.js

# The static netfilter helper `capture apply` runs (sidecar/capture/nft/), at the path the image
# has it too; Go modules pinned by go.sum. Linux only: it talks netlink.
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
HELPER := dist/bin/mcp-residency-nft
helper: $(HELPER) ## build the capture helper (Go, static) into dist/bin/

$(HELPER): $(wildcard sidecar/capture/nft/*.go) sidecar/capture/nft/go.mod sidecar/capture/nft/go.sum
	@echo "==> building the capture helper (go build)"
	@mkdir -p $(@D)
	cd sidecar/capture/nft && CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o $(CURDIR)/$@ .

lint: deps ## eslint, no warnings allowed
	@echo "==> lint"
	eslint --max-warnings 0 .

typecheck: deps ## tsc --noEmit over sources, tests and benchmarks
	@echo "==> typecheck"
	tsc -p tsconfig.json --noEmit

crds: deps ## regenerate crds/*.yaml and policy/spec-schema.json from the policy module
	$(NODE) scripts/generate-crds.ts

controlplane: ## build the test control plane into the per-machine cache
	scripts/controlplane/ensure.sh

test: deps build lint typecheck controlplane ## everything CI runs: lint, typecheck, all tests
	@echo "==> tests"
	mocha 'test/**/*.test.ts'

unit: deps ## only the tests that need no control plane (fast loop)
	mocha --grep '@cluster' --invert 'test/**/*.test.ts'

bench: build ## run every benchmark under bench/ (each prints its figures and ratios)
	@for b in bench/*/run.ts; do echo "==> $$b"; $(NODE) "$$b"; done

bench-%: build ## run one benchmark, e.g. make bench-gateway
	$(NODE) bench/$*/run.ts

demo: build ## sample MCP server behind the sidecar, no cluster needed
	./bin/mcp-residency demo

clean: ## remove build output (keeps node_modules and the tool cache)
	rm -rf dist
