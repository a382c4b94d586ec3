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
# The audio of the example-<language> targets. They print nothing but the segments on
# stdout (build output goes to stderr), so the languages can be compared byte for byte.
FILE ?= examples/data/conversation.wav
# The same conversation as a 24 kb/s MP3: every example reads it through the library's
# decoder, and the languages must agree on it too.
MP3 := examples/data/conversation.mp3

.PHONY: setup build demo test test-rust test-python test-c test-models header lint eval eval-enroll eval-oracle bench clean \
	test-go test-java example-go example-java go-setup java-build \
	install examples test-bindings-c example-c example-cpp \
	test-python-bindings example-python test-same-answer test-readme test-ray bench-ray \
	setup-gpu test-cuda-feature test-gpu test-suites test-nightly \
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
## tests of the set-up models, the DER scorer's checks and the model toolkit, the `cuda`
## feature's CPU-side paths, the C/C++/Python/Go/Java bindings, examples and install
## tree, and the same-answer check across the five languages, and the short reliability
## checks (threads, TSan, fuzzing, Miri). The nightly-toolchain checks (TSan, fuzzing,
## Miri) build in their own target folders and run beside the other suites, so that both
## cores of a CI machine are busy; each side's output is printed when both are done
## (tests/run_parallel.sh).
test: setup
	bash tests/run_parallel.sh "$(MAKE) --no-print-directory test-suites" \
		"$(MAKE) --no-print-directory test-nightly"
	@echo "voiceflow: all test suites passed"

test-suites: setup lint test-rust test-cuda-feature test-c test-python test-models test-bindings-c \
	test-python-bindings test-ray test-go test-java test-same-answer test-readme test-threads

test-nightly: tsan test-fuzz miri

lint:
	cargo fmt --all -- --check
	cargo fmt --manifest-path fuzz/Cargo.toml -- --check
	cargo clippy --release --all-targets -- -D warnings
	cargo clippy --release --all-targets --features eval-oracle -- -D warnings
	$(VF_HOME)/venv/bin/ruff check scripts models bindings examples/python tests/bindings tests/ray \
		tests/readme

test-rust: setup
	cargo test --release
	cargo test --release --features eval-oracle --lib pipeline::oracle

test-python: setup
	$(PY) -m pytest -q scripts/tests
	VOICEFLOW_EVAL_SETS=ami-dev bash scripts/eval/run.sh --selftest $(DATA)

# Model toolkit (models/): PyTorch lives in its own venv, never in the library's runtime.
MODELS_VENV := $(VF_HOME)/models-venv
$(MODELS_VENV)/.stamp: models/requirements.txt
	python3 -m venv $(MODELS_VENV)
	$(MODELS_VENV)/bin/pip install -q -r models/requirements.txt
	touch $@

test-models: setup $(MODELS_VENV)/.stamp
	$(MODELS_VENV)/bin/python -m pytest -q models/tests

# The `cuda` feature on a CPU-only machine: it builds (no CUDA needed) and lints clean, and
# its error and fallback paths hold (tests/device.rs, which also runs without the feature).
test-cuda-feature: setup
	cargo clippy --release --all-targets --features cuda -- -D warnings
	cargo test --release --features cuda --test device

## GPU runtime: onnxruntime-gpu + CUDA 13 / cuDNN 9 libraries into .voiceflow/onnxruntime-gpu
## (pinned, hash-checked, ~1.6 GB download). Not part of `make test`.
setup-gpu: setup
	@bash scripts/setup_gpu.sh

# The sophisticated model's exports (random encoder weights without a checkpoint).
SOPH_DIR := $(VF_HOME)/models-export
$(SOPH_DIR)/sophisticated.onnx: | $(MODELS_VENV)/.stamp
	$(MODELS_VENV)/bin/python -m models.export_onnx --model-type sophisticated --out $@ \
		--no-bench --parity-windows 2
$(SOPH_DIR)/sophisticated.fp16.onnx: | $(MODELS_VENV)/.stamp
	$(MODELS_VENV)/bin/python -m models.export_onnx --model-type sophisticated --quantize fp16 \
		--out $@ --no-bench --parity-windows 2

## On a machine with an NVIDIA GPU: both models on CUDA against the CPU, latency and RTF,
## then the bench JSON of the FP16 sophisticated model on CUDA. Fails without a usable GPU.
test-gpu: setup setup-gpu $(SOPH_DIR)/sophisticated.onnx $(SOPH_DIR)/sophisticated.fp16.onnx
	cargo test --release --features cuda --test gpu -- --nocapture
	./$(LIB_DIR)/voiceflow bench examples/data/conversation.wav --device cuda \
		--segmentation $(SOPH_DIR)/sophisticated.fp16.onnx --extra-sessions 0 --chunk-ms 1000 \
		--set onset=0.5 --set offset=0.35 --set tau_active=0.5

# C tests: the header compiles as C11 and C++17 without warnings (tests/header.rs checks it
# is what cbindgen generates), and tests/c drives the whole C ABI from C and from C++, and
# once more under AddressSanitizer + LeakSanitizer + UndefinedBehaviorSanitizer.
test-c: build
	@mkdir -p $(C_TEST_DIR)
	$(CC) -std=c11 $(C_WARN) -Iinclude -fsyntax-only -x c include/voiceflow.h
	$(CXX) -std=c++17 $(C_WARN) -Iinclude -fsyntax-only -x c++ include/voiceflow.h
	$(CC) -std=c11 $(C_WARN) -g -Iinclude tests/c/test_capi.c -L$(LIB_DIR) -lvoiceflow \
		-Wl,-rpath,$(CURDIR)/$(LIB_DIR) -lm -o $(C_TEST_DIR)/test_capi
	@# The C tests build as C++ too (the header and its usage compile and link there); the
	@# run would repeat the C run's calls into the same library, so only the build is checked.
	$(CXX) -std=c++17 $(C_WARN) -g -Iinclude -x c++ tests/c/test_capi.c -L$(LIB_DIR) -lvoiceflow \
		-Wl,-rpath,$(CURDIR)/$(LIB_DIR) -lm -o $(C_TEST_DIR)/test_capi_cpp
	$(CC) -std=c11 $(C_WARN) -g -fsanitize=address,undefined -fno-omit-frame-pointer -Iinclude \
		tests/c/test_capi.c -L$(LIB_DIR) -lvoiceflow -Wl,-rpath,$(CURDIR)/$(LIB_DIR) -lm \
		-o $(C_TEST_DIR)/test_capi_asan
	bash tests/run_parallel.sh \
		"VOICEFLOW_HOME=$(VF_HOME) $(C_TEST_DIR)/test_capi examples/data/conversation.wav" \
		"VOICEFLOW_HOME=$(VF_HOME) $(ASAN_ENV) $(C_TEST_DIR)/test_capi_asan examples/data/conversation.wav"

# Go binding (bindings/go, cgo) and its example. Standard library only: the module
# proxy is never asked (GOPROXY=off). Go itself comes from Debian when missing.
GO_ENV := GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local
GO_EXAMPLE := target/go/diarize_file

go-setup:
	@bash scripts/setup_go.sh

$(GO_EXAMPLE): go-setup build $(wildcard bindings/go/*.go examples/go/diarize_file/*.go)
	cd examples/go && $(GO_ENV) go build -o $(CURDIR)/$(GO_EXAMPLE) ./diarize_file

## Go: gofmt, go vet, go test -race (errors, empty slices, chunking, goroutines, audio
## files), the example (and on the MP3 the C example's answer).
test-go: go-setup build $(GO_EXAMPLE)
	@unformatted=$$(gofmt -l bindings/go examples/go); \
		if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	cd bindings/go && $(GO_ENV) go vet ./... && $(GO_ENV) go test -race -count=1 ./...
	cd examples/go && $(GO_ENV) go vet ./...
	VOICEFLOW_HOME=$(VF_HOME) $(GO_EXAMPLE) examples/data/conversation.wav > /dev/null
	bash tests/bindings/same_answer.sh $(MP3) go

## make example-go FILE=meeting.wav: the Go example (same output as the other languages).
example-go:
	@$(MAKE) --no-print-directory $(GO_EXAMPLE) >&2
	@VOICEFLOW_HOME=$(VF_HOME) $(GO_EXAMPLE) $(FILE)

# Java binding (bindings/java): classes built for Java 8 bytecode (Android's D8 takes
# it), a JNI layer in C (libvoiceflow_jni.so, linked against libvoiceflow), a plain test
# runner run with -Xcheck:jni, and the example.
JDK_HOME := $(shell dirname "$$(dirname "$$(readlink -f "$$(command -v javac)")")")
JAVA_OUT := target/java
JAVA_SRC := $(wildcard bindings/java/src/main/java/ai/voiceflow/*.java)
JAVA_JAR := $(JAVA_OUT)/voiceflow.jar
JNI_LIB := $(JAVA_OUT)/libvoiceflow_jni.so
JAVA_RUN := VOICEFLOW_HOME=$(VF_HOME) java -Djava.library.path=$(JAVA_OUT):$(LIB_DIR)

$(JAVA_JAR): $(JAVA_SRC)
	@command -v javac >/dev/null && command -v jar >/dev/null || { echo "the Java binding needs \
		a JDK >= 11 (javac, jar); Debian: apt-get install openjdk-17-jdk-headless" >&2; exit 1; }
	@rm -rf $(JAVA_OUT)/classes $(JAVA_OUT)/jni && mkdir -p $(JAVA_OUT)
	javac --release 8 -Xlint:all -Werror -h $(JAVA_OUT)/jni -d $(JAVA_OUT)/classes $(JAVA_SRC)
	jar cf $@ -C $(JAVA_OUT)/classes .

$(JNI_LIB): bindings/java/src/main/c/voiceflow_jni.c include/voiceflow.h $(JAVA_JAR) build
	$(CC) -std=c11 $(C_WARN) -O2 -g -shared -fPIC -Iinclude -I$(JAVA_OUT)/jni \
		-I$(JDK_HOME)/include -I$(JDK_HOME)/include/linux $< -L$(LIB_DIR) -lvoiceflow \
		-Wl,-rpath,$(CURDIR)/$(LIB_DIR) -Wl,--no-undefined -o $@

java-build: $(JAVA_JAR) $(JNI_LIB)
	javac --release 17 -Xlint:all -Werror -cp $(JAVA_JAR) -d $(JAVA_OUT)/test-classes \
		bindings/java/src/test/java/ai/voiceflow/*.java
	javac --release 17 -Xlint:all -Werror -cp $(JAVA_JAR) -d $(JAVA_OUT)/examples \
		examples/java/DiarizeFile.java

## Java: the binding's tests (exit non-zero on any failed check) and the example, both
## under -Xcheck:jni, whose warnings (JNI misuse that does not crash) also fail the target;
## then the example on the MP3 must give the C example's answer.
test-java: build java-build
	set -o pipefail; $(JAVA_RUN) -Xcheck:jni -cp $(JAVA_JAR):$(JAVA_OUT)/test-classes \
		ai.voiceflow.VoiceflowTest examples/data/conversation.wav 2>&1 | tee $(JAVA_OUT)/test.log
	set -o pipefail; $(JAVA_RUN) -Xcheck:jni -cp $(JAVA_JAR):$(JAVA_OUT)/examples DiarizeFile \
		examples/data/conversation.wav 2>&1 >/dev/null | tee -a $(JAVA_OUT)/test.log
	@if grep -n "WARNING in native method\|JNI warning\|FATAL ERROR in native method" \
		$(JAVA_OUT)/test.log; then echo "test-java: -Xcheck:jni reported JNI misuse"; exit 1; fi
	bash tests/bindings/same_answer.sh $(MP3) java

## make example-java FILE=meeting.wav: the Java example (same output as the other languages).
example-java:
	@$(MAKE) --no-print-directory java-build >&2
	@$(JAVA_RUN) -cp $(JAVA_JAR):$(JAVA_OUT)/examples DiarizeFile $(FILE)
## Bindings and packaging (C, C++): install tree, examples, their tests.
PREFIX ?= /usr/local
EX_DIR := target/examples
EX_LINK := -L$(LIB_DIR) -lvoiceflow -Wl,-rpath,$(CURDIR)/$(LIB_DIR)
ASAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/c/lsan.supp:print_suppressions=0 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

## Headers, both libraries, voiceflow.pc and the CMake package into $(PREFIX)
## (DESTDIR honoured). INSTALL_RUNTIME=1 also copies ONNX Runtime and the default models
## to $(PREFIX)/share/voiceflow (then run with VOICEFLOW_HOME=$(PREFIX)/share/voiceflow).
install: build
	bash packaging/install.sh "$(abspath $(PREFIX))" $(if $(filter 1,$(INSTALL_RUNTIME)),--with-runtime "$(VF_HOME)")

## The C and C++ examples, built against target/release into target/examples/.
examples: build
	@mkdir -p $(EX_DIR)
	$(CC) -std=c11 $(C_WARN) -O2 -Iinclude examples/c/diarize_file.c $(EX_LINK) -o $(EX_DIR)/diarize_file
	$(CC) -std=c11 $(C_WARN) -O2 -Iinclude examples/c/diarize_stream.c $(EX_LINK) -o $(EX_DIR)/diarize_stream
	$(CXX) -std=c++17 $(C_WARN) -O2 -Iinclude examples/cpp/diarize_file.cpp $(EX_LINK) \
		-o $(EX_DIR)/diarize_file_cpp

## Same-answer runs: only the segments on stdout (build output goes to stderr).
example-c:
	@$(MAKE) -s --no-print-directory examples >&2
	@VOICEFLOW_HOME=$(VF_HOME) $(EX_DIR)/diarize_file $(FILE)

example-cpp:
	@$(MAKE) -s --no-print-directory examples >&2
	@VOICEFLOW_HOME=$(VF_HOME) $(EX_DIR)/diarize_file_cpp $(FILE)

# C++ wrapper tests (C++17, C++20, and C++20 under ASan/UBSan/LSan), the examples' WAV
# reader (truncated and corrupted files, under ASan/UBSan), the C and C++ examples (same
# segments, on the MP3 too; the live-like stream too), and the install tree built with
# pkg-config and CMake.
test-bindings-c: examples
	$(CXX) -std=c++17 $(C_WARN) -Iinclude -fsyntax-only -x c++ include/voiceflow.hpp
	$(CXX) -std=c++20 $(C_WARN) -Iinclude -fsyntax-only -x c++ include/voiceflow.hpp
	$(CXX) -std=c++17 $(C_WARN) -g -Iinclude tests/cpp/test_wrapper.cpp $(EX_LINK) -o $(EX_DIR)/test_wrapper17
	$(CXX) -std=c++20 $(C_WARN) -g -Iinclude tests/cpp/test_wrapper.cpp $(EX_LINK) -o $(EX_DIR)/test_wrapper20
	$(CXX) -std=c++20 $(C_WARN) -g -fsanitize=address,undefined -fno-omit-frame-pointer -Iinclude \
		tests/cpp/test_wrapper.cpp $(EX_LINK) -o $(EX_DIR)/test_wrapper_asan
	@# C++20 builds and runs under ASan/UBSan; the plain C++20 build is only compiled (its
	@# run would repeat the sanitized one's calls).
	bash tests/run_parallel.sh "VOICEFLOW_HOME=$(VF_HOME) $(EX_DIR)/test_wrapper17 $(FILE)" \
		"VOICEFLOW_HOME=$(VF_HOME) $(ASAN_ENV) $(EX_DIR)/test_wrapper_asan $(FILE)"
	$(CC) -std=c11 $(C_WARN) -g -fsanitize=address,undefined -fno-omit-frame-pointer \
		tests/c/test_wav_reader.c -o $(EX_DIR)/test_wav_reader
	$(ASAN_ENV) $(EX_DIR)/test_wav_reader $(EX_DIR)/wav_reader_scratch.wav
	VOICEFLOW_HOME=$(VF_HOME) bash tests/bindings/test_examples.sh $(EX_DIR) $(FILE) $(MP3)
	VOICEFLOW_HOME=$(VF_HOME) bash tests/bindings/test_install.sh $(EX_DIR)/expected.txt $(FILE)

# Python bindings (bindings/python): tests in the set-up venv against target/release, plus
# one test that pip-installs the package into a fresh venv, offline, from a wheelhouse kept
# in $(VF_HOME)/wheelhouse (filled once, pinned and hashed).
PY_WHEELHOUSE := $(VF_HOME)/wheelhouse
PY_BINDINGS_ENV := VOICEFLOW_HOME=$(VF_HOME) VOICEFLOW_LIB=$(CURDIR)/$(LIB_DIR)/libvoiceflow.so \
	PYTHONPATH=$(CURDIR)/bindings/python/src

$(PY_WHEELHOUSE)/.stamp: bindings/python/requirements-wheelhouse.txt | setup
	mkdir -p $(PY_WHEELHOUSE)
	$(PY) -m pip download -q --disable-pip-version-check --require-hashes --only-binary=:all: \
		--no-deps -d $(PY_WHEELHOUSE) -r $<
	cp $(VF_HOME)/downloads/onnxruntime-*.whl $(PY_WHEELHOUSE)/
	touch $@

test-python-bindings: build $(PY_WHEELHOUSE)/.stamp
	VOICEFLOW_WHEELHOUSE=$(PY_WHEELHOUSE) $(PY_BINDINGS_ENV) $(PY) -m pytest -q bindings/python/tests

## The README's marked snippets (CLI lines, C, C++, Python, Go, Java programs), as printed.
test-readme: build go-setup java-build
	$(PY) -m pytest -q tests/readme

example-python:
	@$(MAKE) -s --no-print-directory build >&2
	@$(PY_BINDINGS_ENV) $(PY) examples/python/diarize_file.py $(FILE)

# Ray (examples/python/ray_corpus.py): Ray in a venv of its own, pinned, never a
# dependency of the binding; the in-tree binding and library come from PY_BINDINGS_ENV.
RAY_VENV := $(VF_HOME)/ray-venv
$(RAY_VENV)/.stamp: tests/ray/requirements.txt | setup
	python3 -m venv $(RAY_VENV)
	$(RAY_VENV)/bin/pip install -q --disable-pip-version-check -r $<
	touch $@

## The Ray example on a local cluster of two 1-CPU nodes: RTTMs equal to the CLI's, bad
## files reported, a worker killed mid-file replaced and its file done again.
test-ray: build $(RAY_VENV)/.stamp
	$(PY_BINDINGS_ENV) $(RAY_VENV)/bin/python -m pytest -q tests/ray

## Throughput per core of the Ray example (1 and 2 workers) against the CLI, same files.
bench-ray: build $(RAY_VENV)/.stamp
	$(PY_BINDINGS_ENV) $(RAY_VENV)/bin/python tests/ray/bench_ray.py

## The same file through C, C++, Python, Go and Java must give identical segments (and
## the same again on the MP3).
test-same-answer: build
	bash tests/bindings/same_answer.sh $(FILE)
	bash tests/bindings/same_answer.sh $(MP3)

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
FUZZ_TARGETS := capi_session segment_writers audio_decoder model_metadata voiceprint_codec
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
# Resident memory is capped at 4 GB; a single allocation only at 16 GB, because symphonia
# reserves buffers from header fields (GBs from a crafted few-kB file) that are never
# touched (README, Limitations); a bigger request than that still fails the run.
define fuzz_run
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_WORK)/$$t; \
		echo "== fuzz $$t, $(1) s (log: $(FUZZ_WORK)/$$t.log)"; \
		$(FUZZ) run -O $$t $(FUZZ_WORK)/$$t fuzz/corpus/$$t -- \
			-max_total_time=$(1) -rss_limit_mb=4096 -malloc_limit_mb=16384 -timeout=30 \
			-print_final_stats=1 \
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
# config, contract parsing, status codes and the C ABI's argument checks. The tests that
# take too long interpreted (the resampler's rubato FFTs of whole seconds of audio, the
# offline recording's 3 hours of windows, the clustering of 3100 voiceprints) are skipped
# here and run by `make miri-resample`.
MIRI_TESTS := audio:: pipeline:: config:: error:: models::contract:: voiceprint:: \
	capi::tests::status capi::tests::null_pointers capi::tests::config_keys \
	capi::tests::panics capi::tests::push_limit
MIRI_SLOW := audio::resample pipeline::recording::tests::three_hours \
	pipeline::clustering::tests::more_items
miri: nightly
	MIRIFLAGS=-Zmiri-disable-isolation cargo +nightly miri test --lib -- $(MIRI_TESTS) \
		$(foreach t,$(MIRI_SLOW),--skip $(t))

miri-resample: nightly
	MIRIFLAGS=-Zmiri-disable-isolation cargo +nightly miri test --lib -- $(MIRI_SLOW)

# One valgrind run of the whole C lifecycle (runtime load, model open, session create,
# pushes, polls, flush, destroy, free) through the C file example, on the first
# VALGRIND_SECONDS of the example conversation: no definite leak, no memory error
# (tests/c/valgrind.supp: two reviewed false positives in ld.so and ONNX Runtime).
# ONNX Runtime runs some 50 times slower under memcheck, so the audio is short and the
# run is on demand (reported in the README), not part of `make test`.
VALGRIND_SECONDS ?= 15
valgrind: examples
	@mkdir -p target/valgrind
	python3 -c 'import sys, wave; r = wave.open(sys.argv[1]); w = wave.open(sys.argv[2], "wb"); \
		w.setparams(r.getparams()); w.writeframes(r.readframes(int(sys.argv[3]) * r.getframerate())); w.close()' \
		examples/data/conversation.wav target/valgrind/excerpt.wav $(VALGRIND_SECONDS)
	VOICEFLOW_HOME=$(VF_HOME) valgrind --leak-check=full --errors-for-leak-kinds=definite \
		--suppressions=tests/c/valgrind.supp --error-exitcode=99 \
		$(EX_DIR)/diarize_file target/valgrind/excerpt.wav

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

## Enrolled speakers on ami-dev: voiceprints from each clip's first half, its second half
## diarized with and without them (both modes); scripts/eval/enroll.py.
eval-enroll: build
	bash scripts/eval/enroll.sh $(DATA)

## Diagnostic: the same evaluation with perfect clustering (ORACLE=map) or voiceprints
## pulled towards the right speaker (ORACLE=voiceprint:ALPHA); scripts/eval/oracle.sh.
ORACLE ?= map
eval-oracle: setup
	bash scripts/eval/oracle.sh $(ORACLE)

## Speed and memory report (JSON) on the example conversation looped for 10 minutes.
bench: build
	./$(LIB_DIR)/voiceflow bench examples/data/conversation.wav --loop-minutes 10

clean:
	cargo clean
