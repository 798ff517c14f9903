# Gatehouse: `make run` serves the embedded default, `make test` runs every test, `make bench` runs the load
# comparison (Benchmarks/README.md; never part of `make test`).
SWIFT ?= swift
CONFIGURATION ?= debug
HOST ?= 127.0.0.1
PORT ?= 8443

.PHONY: run test build deps test-deps bench clean

BENCH_ARGS ?= --reps 3

deps:
	@scripts/install-deps.sh

test-deps:
	@scripts/install-deps.sh --test

build: deps
	$(SWIFT) build -c $(CONFIGURATION)

run: build
	$(SWIFT) run -c $(CONFIGURATION) --skip-build gatehouse serve --host $(HOST) --port $(PORT)

test: test-deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: deps
	Benchmarks/load/bench.sh $(BENCH_ARGS)

clean:
	rm -rf .build
