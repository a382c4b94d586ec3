# voiceflow: `make demo` and `make test` are all a fresh machine needs.
SHELL := /bin/bash
.DEFAULT_GOAL := demo

VF_HOME ?= $(CURDIR)/.voiceflow
PY := $(VF_HOME)/venv/bin/python
CC ?= cc
CXX ?= c++
LIB_DIR := target/release
C_TEST_DIR := target/c-tests
C_WARN := -Wall -Wextra -Werror -pedantic
ORT_LIB := $(VF_HOME)/onnxruntime/libonnxruntime.so

.PHONY: setup build demo test test-rust test-python test-c test-models header lint eval bench clean \
	test-reliability test-threads tsan test-fuzz fuzz fuzz-build valgrind miri miri-resample soak nightly

## Set-up: ONNX Runtime and the default models into .voiceflow/ (idempotent, offline once done).
setup:
	@bash scripts/setup.sh

build: setup
	cargo build --release

## Diarize the example conversation that ships with the repo.
demo: build
	./$(LIB_DIR)/voiceflow diarize examples/data/conversation.wav --format text

## Everything: lint, Rust unit + integration tests, C tests (plain and sanitized), Python
## tests of the set-up models and of the model toolkit.
test: setup lint test-rust test-c test-python test-models test-reliability
	@echo "voiceflow: all test suites passed"

lint:
	cargo fmt --all -- --check
	cargo fmt --manifest-path fuzz/Cargo.toml -- --check
	cargo clippy --release --all-targets -- -D warnings
	$(VF_HOME)/venv/bin/ruff check scripts models

test-rust: setup
	cargo test --release

test-python: setup
	$(PY) -m pytest -q scripts/tests

# Model toolkit (models/): PyTorch lives in its own venv, never in the library's runtime.
MODELS_VENV := $(VF_HOME)/models-venv
$(MODELS_VENV)/.stamp: models/requirements.txt
	python3 -m venv $(MODELS_VENV)
	$(MODELS_VENV)/bin/pip install -q -r models/requirements.txt
	touch $@

test-models: setup $(MODELS_VENV)/.stamp
	$(MODELS_VENV)/bin/python -m pytest -q models/tests

# C tests: the header compiles as C11 and C++17 without warnings (tests/header.rs checks it
# is what cbindgen generates), and tests/c drives the whole C ABI from C and from C++, and
# once more under AddressSanitizer + LeakSanitizer + UndefinedBehaviorSanitizer.
test-c: build
	@mkdir -p $(C_TEST_DIR)
	$(CC) -std=c11 $(C_WARN) -Iinclude -fsyntax-only -x c include/voiceflow.h
	$(CXX) -std=c++17 $(C_WARN) -Iinclude -fsyntax-only -x c++ include/voiceflow.h
	$(CC) -std=c11 $(C_WARN) -g -Iinclude tests/c/test_capi.c -L$(LIB_DIR) -lvoiceflow \
		-Wl,-rpath,$(CURDIR)/$(LIB_DIR) -lm -o $(C_TEST_DIR)/test_capi
	$(CXX) -std=c++17 $(C_WARN) -g -Iinclude -x c++ tests/c/test_capi.c -L$(LIB_DIR) -lvoiceflow \
		-Wl,-rpath,$(CURDIR)/$(LIB_DIR) -lm -o $(C_TEST_DIR)/test_capi_cpp
	$(CC) -std=c11 $(C_WARN) -g -fsanitize=address,undefined -fno-omit-frame-pointer -Iinclude \
		tests/c/test_capi.c -L$(LIB_DIR) -lvoiceflow -Wl,-rpath,$(CURDIR)/$(LIB_DIR) -lm \
		-o $(C_TEST_DIR)/test_capi_asan
	VOICEFLOW_HOME=$(VF_HOME) $(C_TEST_DIR)/test_capi examples/data/conversation.wav
	VOICEFLOW_HOME=$(VF_HOME) $(C_TEST_DIR)/test_capi_cpp examples/data/conversation.wav
	VOICEFLOW_HOME=$(VF_HOME) ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		LSAN_OPTIONS=suppressions=$(CURDIR)/tests/c/lsan.supp:print_suppressions=0 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		$(C_TEST_DIR)/test_capi_asan examples/data/conversation.wav

# ---------------------------------------------------------------------------------------
# Reliability (README, sections Guarantees and Reliability): threads under ThreadSanitizer,
# fuzzing, Miri, valgrind, soak. `make test` runs the short forms (test-reliability).

test-reliability: test-threads tsan test-fuzz miri

# N threads x sessions on one model give exactly the segments of sequential runs.
test-threads: build
	@mkdir -p $(C_TEST_DIR)
	$(CC) -std=c11 $(C_WARN) -g -O1 -Iinclude -Itests/c tests/c/test_threads.c -L$(LIB_DIR) \
		-lvoiceflow -Wl,-rpath,$(CURDIR)/$(LIB_DIR) -lpthread -o $(C_TEST_DIR)/test_threads
	VOICEFLOW_HOME=$(VF_HOME) $(C_TEST_DIR)/test_threads examples/data/conversation.wav 8

# The same under ThreadSanitizer, with the library instrumented too: voiceflow, its crates
# and Rust's std are rebuilt with -Zsanitizer=thread (-Zbuild-std), so that Rust's locks
# and atomics are visible to TSan; an uninstrumented std makes every hand-over through a
# Mutex look like a race. ONNX Runtime (prebuilt) is not instrumented: races inside it
# would go unseen, its calls are serialised per ONNX Runtime session by voiceflow's pool.
TSAN_TRIPLE := x86_64-unknown-linux-gnu
TSAN_LIB := target/tsan/$(TSAN_TRIPLE)/release
# The C test links the TSan runtime that ships with nightly Rust (the same LLVM as the
# instrumented library; the C compiler's libtsan may lack entry points it calls).
TSAN_RUNTIME = $$(rustc +nightly --print sysroot)/lib/rustlib/$(TSAN_TRIPLE)/lib/librustc-nightly_rt.tsan.a
tsan: setup nightly
	RUSTFLAGS=-Zsanitizer=thread cargo +nightly build -Zbuild-std --target $(TSAN_TRIPLE) \
		--release --lib --target-dir target/tsan
	@mkdir -p $(C_TEST_DIR)
	$(CC) -std=c11 $(C_WARN) -g -O1 -fsanitize=thread -Iinclude -Itests/c -c tests/c/test_threads.c \
		-o $(C_TEST_DIR)/test_threads_tsan.o
	$(CC) $(C_TEST_DIR)/test_threads_tsan.o -Wl,--whole-archive $(TSAN_RUNTIME) -Wl,--no-whole-archive \
		-L$(TSAN_LIB) -lvoiceflow -Wl,-rpath,$(CURDIR)/$(TSAN_LIB) -lstdc++ -lpthread -ldl -lm -lrt \
		-o $(C_TEST_DIR)/test_threads_tsan
	VOICEFLOW_HOME=$(VF_HOME) TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
		$(C_TEST_DIR)/test_threads_tsan examples/data/conversation.wav 8

# Nightly Rust (fuzzing and Miri); rustup adds the components it lacks (idempotent).
nightly:
	@rustup run nightly rustc --version >/dev/null 2>&1 || { \
		echo "voiceflow: fuzzing and Miri need the nightly toolchain: rustup toolchain install nightly"; \
		exit 1; }
	@installed="$$(rustup component list --toolchain nightly --installed)"; \
		{ grep -q '^miri' <<<"$$installed" && grep -q '^rust-src' <<<"$$installed"; } || \
		rustup component add --toolchain nightly miri rust-src

# cargo-fuzz (libFuzzer), pinned, installed once into the git-ignored set-up folder.
CARGO_TOOLS := $(VF_HOME)/cargo-tools
CARGO_FUZZ_VERSION := 0.13.1
FUZZ_TARGETS := capi_session segment_writers wav_reader model_metadata
FUZZ_SECONDS ?= 600
FUZZ_TEST_SECONDS ?= 15
FUZZ_WORK := target/fuzz-corpus
FUZZ := PATH=$(CARGO_TOOLS)/bin:$$PATH VOICEFLOW_HOME=$(VF_HOME) cargo +nightly fuzz

$(CARGO_TOOLS)/bin/cargo-fuzz:
	cargo install cargo-fuzz --version $(CARGO_FUZZ_VERSION) --locked --root $(CARGO_TOOLS)

fuzz-build: setup nightly $(CARGO_TOOLS)/bin/cargo-fuzz
	$(FUZZ) build -O

# Each target for $(1) seconds, starting from the committed seeds (fuzz/corpus/<target>);
# new inputs go to $(FUZZ_WORK), crashes to fuzz/artifacts/<target>/.
define fuzz_run
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_WORK)/$$t; \
		echo "== fuzz $$t, $(1) s (log: $(FUZZ_WORK)/$$t.log)"; \
		$(FUZZ) run -O $$t $(FUZZ_WORK)/$$t fuzz/corpus/$$t -- \
			-max_total_time=$(1) -rss_limit_mb=4096 -timeout=30 -print_final_stats=1 \
			> $(FUZZ_WORK)/$$t.log 2>&1 || { tail -n 80 $(FUZZ_WORK)/$$t.log; exit 1; }; \
		grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb)" $(FUZZ_WORK)/$$t.log; \
	done
endef

## All fuzz targets, FUZZ_SECONDS each (default 600).
fuzz: fuzz-build
	$(call fuzz_run,$(FUZZ_SECONDS))

# The short run of `make test`.
test-fuzz: fuzz-build
	$(call fuzz_run,$(FUZZ_TEST_SECONDS))

# Miri on the pure-Rust unit tests (no ONNX Runtime, no FFI): audio ring, pipeline,
# config, contract parsing, status codes and the C ABI's argument checks. The resampler's
# tests (rubato FFTs of whole seconds of audio) take too long interpreted: they are
# skipped here and run by `make miri-resample`.
MIRI_TESTS := audio:: pipeline:: config:: error:: models::contract:: \
	capi::tests::status capi::tests::null_pointers capi::tests::config_keys \
	capi::tests::panics capi::tests::push_limit
miri: nightly
	MIRIFLAGS=-Zmiri-disable-isolation cargo +nightly miri test --lib -- $(MIRI_TESTS) \
		--skip audio::resample

miri-resample: nightly
	MIRIFLAGS=-Zmiri-disable-isolation cargo +nightly miri test --lib -- audio::resample

# One valgrind run of the threads test (2 threads): no definite leak, no memory error
# (tests/c/valgrind.supp: two reviewed false positives in ld.so and ONNX Runtime). Slow
# (ONNX Runtime runs some 50 times slower under memcheck: tens of minutes on a shared
# 2-core machine), so it is run on demand and reported in the README, not in `make test`.
valgrind: build
	@mkdir -p $(C_TEST_DIR)
	$(CC) -std=c11 $(C_WARN) -g -O1 -Iinclude -Itests/c tests/c/test_threads.c -L$(LIB_DIR) \
		-lvoiceflow -Wl,-rpath,$(CURDIR)/$(LIB_DIR) -lpthread -o $(C_TEST_DIR)/test_threads
	VOICEFLOW_HOME=$(VF_HOME) valgrind --leak-check=full --errors-for-leak-kinds=definite \
		--suppressions=tests/c/valgrind.supp --error-exitcode=99 \
		$(C_TEST_DIR)/test_threads examples/data/conversation.wav 2

## 10 hours of the example conversation through one session: memory and segment checks.
SOAK_HOURS ?= 10
soak: build
	@mkdir -p target/soak
	cargo build --release --example soak
	./target/release/examples/soak --hours $(SOAK_HOURS) --report target/soak/report.json

## Refresh the committed header from the code.
header: build
	cp "$$(ls -t target/release/build/voiceflow-*/out/voiceflow.h | head -1)" include/voiceflow.h

## Accuracy on ami-dev and simulated LibriSpeech conversations (data: ../shared/data).
eval: build
	bash scripts/eval/run.sh $(DATA)

## Speed and memory report (JSON) on the example conversation looped for 10 minutes.
bench: build
	./$(LIB_DIR)/voiceflow bench examples/data/conversation.wav --loop-minutes 10

clean:
	cargo clean
