# telsync — the two commands: `make demo` and `make test`. Each installs what it needs.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
RELEASE := build/release
ASAN := build/asan
BENCH ?=

.PHONY: check-layers fuzz-deps all deps build build-asan test unit integration fuzz fuzz-smoke demo bench format format-check clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(RELEASE) -G Ninja -DCMAKE_BUILD_TYPE=Release -DTELSYNC_TESTS=OFF >/dev/null
	@ninja -C $(RELEASE) -j $(JOBS)

build-asan: deps
	@cmake -S . -B $(ASAN) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTELSYNC_SANITIZE=ON -DTELSYNC_BENCH=OFF >/dev/null
	@ninja -C $(ASAN) -j $(JOBS)

# The include directions of docs/architecture.md ("Module layers"), checked first (< 1 s).
check-layers:
	@python3 scripts/check-layers.py

# The layering check, unit tests (ASan + UBSan build), a deterministic fuzz pass over every
# parser of outside input (R7), and the integration tests that drive the real binary.
test: check-layers build-asan fuzz-smoke
	@$(ASAN)/telsync_tests --gtest_brief=1
	@TELSYNC_BIN=$(CURDIR)/$(ASAN)/telsync bash tests/run-integration.sh

unit: build-asan
	@$(ASAN)/telsync_tests --gtest_brief=1

integration: build-asan
	@TELSYNC_BIN=$(CURDIR)/$(ASAN)/telsync bash tests/run-integration.sh

# libFuzzer needs clang and its runtime; only the fuzz targets install them.
fuzz-deps:
	@TELSYNC_DEPS_EXTRA="clang libclang-rt-14-dev" bash scripts/install-deps.sh

fuzz-smoke: fuzz-deps
	@FUZZ_RUNS=$${FUZZ_RUNS:-200000} bash scripts/fuzz.sh

fuzz: fuzz-deps
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-300} bash scripts/fuzz.sh

demo: build
	@TELSYNC_BIN=$(CURDIR)/$(RELEASE)/telsync bash scripts/demo.sh

bench: build
	@RELEASE_DIR=$(CURDIR)/$(RELEASE) bash bench/run.sh $(BENCH)

format:
	@clang-format -i $$(git ls-files '*.cc' '*.h')

format-check:
	@clang-format --dry-run -Werror $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf build
