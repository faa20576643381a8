# opine — the two commands a fresh Debian 12 machine needs:
#   make demo   install what is missing, build, run the pipeline on the sample
#   make test   install what is missing, build (release, ASan+UBSan, TSan),
#               ctest in each: the release build's includes the valgrind
#               tests (label valgrind); the TSan build's leaves out the
#               long fault tests and those that vary input, not threads
#               (TSAN_SKIP): the rest run the same threads
#   make fuzz   build the libFuzzer harnesses (clang) and run each a while
# and, to run one of those alone: make valgrind, make tsan.
#
# Debian packages opine builds and tests with. `make deps` installs the missing
# ones when run as root (apt-get update once, then apt-get install of exactly
# what is missing) and otherwise prints the command to run.
DEPS := cmake make gcc binutils pkg-config gzip sqlite3 bc time python3 python3-scipy python3-zstandard zlib1g-dev libsqlite3-dev \
	libstemmer-dev libutf8proc-dev libjson-c-dev libarchive-dev \
	libyaml-dev libcmocka-dev libxxhash-dev libicu-dev libdeflate-dev libzstd-dev liblz4-dev libisal-dev libacl1-dev \
	libgoogle-perftools-dev liblinear-dev libcsv-dev unicode-data libxml2-dev \
	valgrind clang libclang-rt-dev

BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
DEMO_DB ?= $(BUILD)/demo.db
# make fuzz: every libFuzzer harness of tests/fuzz/ (or those named in
# FUZZ) for FUZZ_SECONDS each, or FUZZ_RUNS executions when that comes
# first (0: no limit); corpora, crashes and logs in FUZZ_DIR (ignored by
# git, kept by make clean, so corpora grow over calls).
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?= 0
FUZZ ?=
export FUZZ_DIR ?= $(CURDIR)/build-fuzz-work

.PHONY: all deps build build-asan build-tsan demo test valgrind tsan bench \
	clean format fuzz

all: build

deps:
	@missing=""; \
	for p in $(DEPS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' \
	    || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y --no-install-recommends $$missing || exit 2; \
	  else \
	    echo "opine needs Debian packages that are missing; run:"; \
	    echo "  sudo apt-get update && sudo apt-get install -y$$missing"; \
	    exit 2; \
	  fi; \
	fi

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

$(ASAN_BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DOPINE_SANITIZE=ON \
	  -DOPINE_WERROR=ON

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j $(JOBS)

$(TSAN_BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DOPINE_TSAN=ON -DOPINE_WERROR=ON

build-tsan: deps $(TSAN_BUILD)/CMakeCache.txt
	cmake --build $(TSAN_BUILD) -j $(JOBS)

demo: build
	@rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	$(BUILD)/opine run $(DEMO_DB) corpus/samples/oped-samples.jsonl.gz
	@echo
	@$(BUILD)/opine sql $(DEMO_DB) --table -f corpus/samples/top-terms.sql
	@echo
	@$(BUILD)/opine sql $(DEMO_DB) --table -f corpus/samples/stance-table.sql

# Left out of the TSan pass: the fault and kill tests (long; their threads
# are any run's), the tests of input variety (formats, hostile values and
# model files: read on one thread, then the same engine threads as every
# other test), e2e_similar (its commands use one thread, over databases
# made by the same runs as every other test's) and e2e_abp (a slice of
# the real corpus through the threads of any run: 43 s of TSan's 145 on
# 2026-12-06), which the release and ASan passes check.
# (e2e_search stays: a group's top terms count on two threads.) make test
# must end within 20 minutes on 2 cores: on a slow day of this VM it took
# 20 min 4 s with e2e_abp in this pass.
TSAN_SKIP := ^(e2e_(abp|faults|iofault|diskfull|formats|hostile|kill|similar)|model_hostile)$$

test: build build-asan build-tsan
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS)
	cd $(TSAN_BUILD) && ctest --output-on-failure -j $(JOBS) -E '$(TSAN_SKIP)'

# valgrind's memcheck over the unit tests and every command's end-to-end
# tests (tests/CMakeLists.txt, the vg_ tests)
valgrind: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L valgrind

# ThreadSanitizer over the unit and end-to-end tests (reports fail them:
# tests/lib.sh)
tsan: build-tsan
	cd $(TSAN_BUILD) && ctest --output-on-failure -j $(JOBS) -E '$(TSAN_SKIP)'

# The harnesses need clang (libFuzzer); the build is instrumented for
# coverage with ASan and UBSan. Each harness runs at nice 19.
fuzz: deps
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOPINE_FUZZ=ON
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target opine_fuzzers
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_RUNS) $(FUZZ)

bench: build
	bench/abp-run.sh $(BUILD)/opine

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)
