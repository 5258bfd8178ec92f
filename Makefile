# kscope: the two commands a new user needs are `make demo` and `make test`.
.PHONY: setup build demo test lint coverage bench clean

setup:
	@scripts/setup.sh

build: setup
	npm run build

## The demo system (examples/demo/) behind one kscope proxy per service, with Prometheus on :9090; prints kscope topology.
demo: build
	scripts/demo.sh

## Every test: as-pect (filter), host unit tests, integration tests against real Kafka and Envoy.
test: build
	npm run test:unit
	npm run test:host
	npm run test:integration

## Lint: ESLint with type information, Prettier's check, the TypeScript compiler without output.
lint: setup
	npm run lint

## Coverage of the filter by the as-pect specs and the host's unit tests, per file (scripts/coverage.mjs).
coverage: build
	npm run coverage

## Benchmarks: the filter alone, the proxies' data path, every proxy path in one run, then the gateway against a three-broker cluster, as ratios (see bench/RESULTS.md).
bench: build
	npm run build:noop
	npm run build:bench-shared
	node dist/bench/codec.js 1000
	node dist/bench/datapath.js
	node dist/bench/shared.js
	node dist/bench/run.js
	node dist/bench/gateway.js

clean:
	rm -rf build dist
