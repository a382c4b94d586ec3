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
	setup-gpu test-cuda-feature test-gpu

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
test: setup lint test-rust test-cuda-feature test-c test-python test-models
	@echo "voiceflow: all test suites passed"

lint:
	cargo fmt --all -- --check
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
