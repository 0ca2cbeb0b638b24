# rollup-node — the commands a person types. CMake + Ninja do the building underneath.
#
#   make            release build -> target/release/rollup-node
#   make run        build, then run the dev sequencer of the user's guide
#   make test       build, then run every quick test (unit, conformance subsets, e2e)
#   make test-full  the exhaustive suites as well
#   make asan       ASan + UBSan build, running the unit and conformance tests
#   make bench      benchmarks (ratios against peers)
#   make deps       install missing Debian and npm packages (idempotent)
#   make fuzz       libFuzzer targets (clang)
#   make fmt / lint / clean

SHELL := /bin/bash
JOBS  ?= $(shell nproc)
# Warnings are errors in CI (CI=true), plain warnings on a developer's machine.
WERROR := $(if $(CI),ON,OFF)
CMAKE_COMMON := -G Ninja -DRN_WERROR=$(WERROR)

.PHONY: all release debug run test test-full asan bench deps fuzz fmt lint clean

all: release

deps:
	@tools/deps.sh

target/release/build.ninja: CMakeLists.txt
	@cmake -S . -B target/release $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=Release >/dev/null

release: deps target/release/build.ninja
	@cmake --build target/release -j $(JOBS)

debug: deps
	@cmake -S . -B target/debug $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build target/debug -j $(JOBS)

DATADIR ?= ./data/sequencer
run: release
	./target/release/rollup-node node \
	  --chain dev \
	  --datadir $(DATADIR) \
	  --test \
	  --sequencer.enabled \
	  --sequencer.auto-start \
	  --sequencer.block-time 1000 \
	  --http \
	  --http.addr 0.0.0.0 \
	  --http.port 8545 \
	  --http.api admin,debug,eth,net,trace,txpool,web3,rpc,reth,ots,flashbots,miner,mev

test: release
	@cd target/release && ctest -L quick --output-on-failure -j $(JOBS) --timeout 1200

test-full: release
	@cd target/release && ctest --output-on-failure -j $(JOBS) --timeout 3600

asan: deps
	@cmake -S . -B target/asan $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRN_SANITIZE=ON >/dev/null
	@cmake --build target/asan -j $(JOBS)
	@cd target/asan && ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1 \
	  UBSAN_OPTIONS=print_stacktrace=1 ctest -L asan --output-on-failure -j $(JOBS) --timeout 1800

bench: release
	@tools/deps.sh bench
	@cmake --build target/release --target bench_all -j $(JOBS) 2>/dev/null || true
	@tools/bench.sh

fuzz:
	@tools/deps.sh fuzz
	@CC=clang cmake -S . -B target/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRN_FUZZ=ON >/dev/null
	@cmake --build target/fuzz -j $(JOBS)
	@echo "fuzz targets in target/fuzz/ (run e.g. target/fuzz/fuzz_rlp -max_total_time=60 tests/fuzz/corpus/rlp)"

fmt:
	@find src tests bench -name '*.[ch]' -not -path '*/node_modules/*' | xargs clang-format -i

lint: deps
	@tools/lint.sh
	@find src tests bench -name '*.[ch]' -not -path '*/node_modules/*' | \
	  xargs clang-format --dry-run --Werror && echo "format: clean"

clean:
	rm -rf target
