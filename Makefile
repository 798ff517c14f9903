# Gatehouse: `make run` serves the embedded default, `make test` checks the formatting (`make lint`) and runs every test, `make bench` runs the load
# comparison (Benchmarks/README.md; never part of `make test`), `make fuzz` runs each fuzz target for FUZZ_SECONDS
# (Fuzz/README.md; `make test` replays the committed corpora), `make docs` builds the DocC documentation of the
# `Gatehouse` module into .build/docs (Sources/Gatehouse/Gatehouse.docc; swift-docc-plugin).
SWIFT ?= swift
CONFIGURATION ?= debug
HOST ?= 127.0.0.1
PORT ?= 8443

.PHONY: run test build deps test-deps bench fuzz docs clean

BENCH_ARGS ?= --reps 3

deps:
	@scripts/install-deps.sh

# The Kubernetes example's test validates it against the schemas that PyPI's kubernetes-validate carries (offline);
# without pip the test says it skipped that.
test-deps:
	@scripts/install-deps.sh --test
	@python3 -c 'import kubernetes_validate' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check \
		kubernetes-validate || echo "gatehouse: kubernetes-validate not installed: deploy/kubernetes is not validated" >&2

build: deps
	$(SWIFT) build -c $(CONFIGURATION)

run: build
	$(SWIFT) run -c $(CONFIGURATION) --skip-build gatehouse serve --host $(HOST) --port $(PORT)

# With CI set (.ci/run sets it), our targets build with warnings as errors. SwiftPM leaves remote packages out:
# it drops warning flags from their compile commands and adds -suppress-warnings, so a dependency's warning never
# fails the build. Local builds keep their flags (and their build cache) unchanged.
WARNINGS_AS_ERRORS = $(if $(filter-out false 0,$(CI)),-Xswiftc -warnings-as-errors)

# ExternalPackageTests builds a separate package (the whole dependency tree, the first time) in a `swift build` of its
# own: run after the rest, so that build does not load the machine under the timing-sensitive tests.
# swift-format with the repository's .swift-format (STYLE.md §12); `swift format format -i -r <paths>` fixes most of it.
FORMAT_PATHS = Package.swift Sources Tests Examples Fuzz Benchmarks/Package.swift Benchmarks/Benchmarks Benchmarks/Peers Benchmarks/Percentiles

lint:
	$(SWIFT) format lint --strict --recursive $(FORMAT_PATHS)

test: test-deps lint
	$(SWIFT) build --build-tests $(WARNINGS_AS_ERRORS)
	$(SWIFT) test --skip-build --skip ExternalPackageTests
	$(SWIFT) test --skip-build --filter ExternalPackageTests

bench: deps
	Benchmarks/load/bench.sh $(BENCH_ARGS)

FUZZ_SECONDS ?= 60

fuzz: test-deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) Fuzz/run.sh all

DOCS_OUTPUT ?= .build/docs

docs: deps
	$(SWIFT) package --allow-writing-to-directory $(DOCS_OUTPUT) generate-documentation --target Gatehouse \
		--output-path $(DOCS_OUTPUT) --warnings-as-errors
	@echo "documentation: $(DOCS_OUTPUT) (a static site: serve it, or open $(DOCS_OUTPUT)/documentation/gatehouse/index.html)"

clean:
	rm -rf .build
