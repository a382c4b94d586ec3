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
	install examples test-bindings-c run-example-c run-example-cpp \
	test-python-bindings run-example-python

## Set-up: ONNX Runtime and the default models into .voiceflow/ (idempotent, offline once done).
setup:
	@bash scripts/setup.sh

build: setup
	cargo build --release

## Diarize the example conversation that ships with the repo.
demo: build
	./$(LIB_DIR)/voiceflow diarize examples/data/conversation.wav --format text

## Everything: lint, Rust unit + integration tests, C tests (plain and sanitized), C/C++/Python
## bindings, examples and the install tree, Python
## tests of the set-up models and of the model toolkit.
test: setup lint test-rust test-c test-python test-models test-bindings-c test-python-bindings
	@echo "voiceflow: all test suites passed"

lint:
	cargo fmt --all -- --check
	cargo clippy --release --all-targets -- -D warnings
	$(VF_HOME)/venv/bin/ruff check scripts models bindings examples/python tests/bindings

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

## Bindings and packaging (C, C++): install tree, examples, their tests.
PREFIX ?= /usr/local
EX_DIR := target/examples
WAV ?= examples/data/conversation.wav
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
run-example-c:
	@$(MAKE) -s --no-print-directory examples >&2
	@VOICEFLOW_HOME=$(VF_HOME) $(EX_DIR)/diarize_file $(WAV)

run-example-cpp:
	@$(MAKE) -s --no-print-directory examples >&2
	@VOICEFLOW_HOME=$(VF_HOME) $(EX_DIR)/diarize_file_cpp $(WAV)

# C++ wrapper tests (C++17, C++20, and C++20 under ASan/UBSan/LSan), the examples' WAV
# reader (truncated and corrupted files, under ASan/UBSan), the C and C++ examples (same
# segments; the live-like stream too), and the install tree built with pkg-config and CMake.
test-bindings-c: examples
	$(CXX) -std=c++17 $(C_WARN) -Iinclude -fsyntax-only -x c++ include/voiceflow.hpp
	$(CXX) -std=c++20 $(C_WARN) -Iinclude -fsyntax-only -x c++ include/voiceflow.hpp
	$(CXX) -std=c++17 $(C_WARN) -g -Iinclude tests/cpp/test_wrapper.cpp $(EX_LINK) -o $(EX_DIR)/test_wrapper17
	$(CXX) -std=c++20 $(C_WARN) -g -Iinclude tests/cpp/test_wrapper.cpp $(EX_LINK) -o $(EX_DIR)/test_wrapper20
	$(CXX) -std=c++20 $(C_WARN) -g -fsanitize=address,undefined -fno-omit-frame-pointer -Iinclude \
		tests/cpp/test_wrapper.cpp $(EX_LINK) -o $(EX_DIR)/test_wrapper_asan
	VOICEFLOW_HOME=$(VF_HOME) $(EX_DIR)/test_wrapper17 $(WAV)
	VOICEFLOW_HOME=$(VF_HOME) $(EX_DIR)/test_wrapper20 $(WAV)
	VOICEFLOW_HOME=$(VF_HOME) $(ASAN_ENV) $(EX_DIR)/test_wrapper_asan $(WAV)
	$(CC) -std=c11 $(C_WARN) -g -fsanitize=address,undefined -fno-omit-frame-pointer \
		tests/c/test_wav_reader.c -o $(EX_DIR)/test_wav_reader
	$(ASAN_ENV) $(EX_DIR)/test_wav_reader $(EX_DIR)/wav_reader_scratch.wav
	VOICEFLOW_HOME=$(VF_HOME) bash tests/bindings/test_examples.sh $(EX_DIR) $(WAV)
	VOICEFLOW_HOME=$(VF_HOME) bash tests/bindings/test_install.sh $(EX_DIR)/expected.txt $(WAV)

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

run-example-python:
	@$(MAKE) -s --no-print-directory build >&2
	@$(PY_BINDINGS_ENV) $(PY) examples/python/diarize_file.py $(WAV)

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
