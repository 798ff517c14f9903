# Gatehouse: `make run` serves the embedded default, `make test` runs every test, `make bench` runs the load
# comparison (Benchmarks/README.md; never part of `make test`), `make fuzz` runs each fuzz target for FUZZ_SECONDS
# (Fuzz/README.md; `make test` replays the committed corpora).
SWIFT ?= swift
CONFIGURATION ?= debug
HOST ?= 127.0.0.1
PORT ?= 8443

.PHONY: run test build deps test-deps bench fuzz clean

BENCH_ARGS ?= --reps 3

deps:
	@scripts/install-deps.sh

test-deps:
	@scripts/install-deps.sh --test

build: deps
	$(SWIFT) build -c $(CONFIGURATION)

run: build
	$(SWIFT) run -c $(CONFIGURATION) --skip-build gatehouse serve --host $(HOST) --port $(PORT)

# With CI set (.ci/run sets it), our targets build with warnings as errors. SwiftPM leaves remote packages out:
# it drops warning flags from their compile commands and adds -suppress-warnings, so a dependency's warning never
# fails the build. Local builds keep their flags (and their build cache) unchanged.
WARNINGS_AS_ERRORS = $(if $(CI),-Xswiftc -warnings-as-errors)

test: test-deps
	$(SWIFT) build --build-tests $(WARNINGS_AS_ERRORS)
	$(SWIFT) test --skip-build

bench: deps
	Benchmarks/load/bench.sh $(BENCH_ARGS)

FUZZ_SECONDS ?= 60

fuzz: test-deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) Fuzz/run.sh all

clean:
	rm -rf .build
