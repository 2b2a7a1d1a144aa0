# mdesiem - top-level convenience targets. The build itself is CMake.
#   make run     install dependencies, build, run the demo against the emulator
#   make check   install dependencies, build, run every test (plain and ASan+UBSan)
#   make install binary, man pages, /etc/mdesiem, /var/lib/mdesiem, systemd unit
#                (PREFIX=/usr/local, DESTDIR=; see docs/operations.md)
#   make deb     build/mdesiem_<version>_<arch>.deb
#   make bench   run every benchmark, rewrite docs/benchmarks.md (~15 min; not part of check)
BUILD     ?= build
ASAN      ?= build-asan
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_ARGS ?= --output-on-failure -j $(JOBS)

.PHONY: all deps build build-asan run check test test-asan format clean docs bench install deb soak
PREFIX    ?= /usr/local
DESTDIR   ?=

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/Makefile:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DMDS_SANITIZE=ON
	cmake --build $(ASAN) -j $(JOBS)

run: build
	@bash scripts/demo.sh $(BUILD)/mdesiem

test: build
	cd $(BUILD) && ctest $(CTEST_ARGS)

test-asan: build-asan
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest $(CTEST_ARGS)

check: test test-asan fuzz-smoke

docs: build
	$(BUILD)/mdesiem help config > docs/configuration.md
	$(BUILD)/mdesiem help config --man > docs/man/mdesiem.conf.5

# Benchmarks with their peers and ceilings (bench/run.sh); BENCH_RUNS, BENCH_ONLY: see there.
bench: build
	bash bench/run.sh $(BUILD)/mdesiem

install: build
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"

deb: build
	cd $(BUILD) && cpack -G DEB

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN)

# libFuzzer (clang). FUZZ_SECONDS per target; crashes land in build-fuzz/.
FUZZ       ?= build-fuzz
FUZZ_SECONDS ?= 60
.PHONY: build-fuzz fuzz fuzz-smoke
build-fuzz: deps
	CC=clang cmake -S . -B $(FUZZ) -DCMAKE_BUILD_TYPE=Debug -DMDS_FUZZ=ON
	cmake --build $(FUZZ) -j $(JOBS)

fuzz: build-fuzz
	@bash scripts/fuzz.sh $(FUZZ) $(FUZZ_SECONDS)

fuzz-smoke: build-fuzz
	@bash scripts/fuzz.sh $(FUZZ) 5

# Reliability soak (docs/reliability.md): the full-size versions of the
# scenario tests that `make check` runs small. Not part of check; ~15 min.
soak: build
	@bash scripts/soak.sh $(BUILD)
