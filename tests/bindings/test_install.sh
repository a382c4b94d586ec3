#!/usr/bin/env bash
# Installs voiceflow into a temporary prefix (with ONNX Runtime and the default models
# under PREFIX/share/voiceflow) and builds the examples against the installed copy only:
# with pkg-config (shared and static library) and with CMake's find_package (shared,
# static, C++). Every program must print exactly what the in-tree C example prints.
#
#   tests/bindings/test_install.sh EXPECTED_OUTPUT WAV
#
# Run by `make test-bindings-c`. Needs cmake; installs Debian's package if it is missing.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
EXPECTED=$(realpath "$1")
WAV=$(realpath "$2")
CC=${CC:-cc}
WARN=(-Wall -Wextra -Werror -pedantic)
say() { printf 'test-install: %s\n' "$*"; }
die() { printf 'test-install: FAIL: %s\n' "$*" >&2; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
PREFIX=$WORK/prefix
"$ROOT/packaging/install.sh" "$PREFIX" --with-runtime "${VOICEFLOW_HOME:-$ROOT/.voiceflow}"

# The installed library must not need the source tree: ONNX Runtime and the models come
# from the installed share/voiceflow, and the programs are built and run elsewhere.
export VOICEFLOW_HOME=$PREFIX/share/voiceflow
unset ORT_DYLIB_PATH
export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig
cp -r "$ROOT/examples/c" "$ROOT/examples/cpp" "$WORK/"
cd "$WORK"

expect_same() { # name program...
  local name=$1
  shift
  "$@" "$WAV" >"$WORK/$name.out" || die "$name exited with $?"
  diff -u "$EXPECTED" "$WORK/$name.out" >&2 || die "$name printed something else"
  say "$name: same segments ($(wc -l <"$WORK/$name.out") lines)"
}

[ "$(pkg-config --modversion voiceflow)" = "$(sed -n 's/^version = "\(.*\)"$/\1/p' "$ROOT/Cargo.toml" | head -1)" ] \
  || die "pkg-config reports version $(pkg-config --modversion voiceflow)"

# pkg-config, shared library (rpath so that the loader finds the installed copy).
LIBDIR=$(pkg-config --variable=libdir voiceflow)
# shellcheck disable=SC2046  # pkg-config output is a list of flags
"$CC" -std=c11 "${WARN[@]}" c/diarize_file.c $(pkg-config --cflags --libs voiceflow) \
  -Wl,-rpath,"$LIBDIR" -o diarize_pc_shared
readelf -d diarize_pc_shared | grep -q 'NEEDED.*libvoiceflow\.so' || die "not linked to libvoiceflow.so"
expect_same pkg-config-shared ./diarize_pc_shared

# pkg-config, static library: the .a plus the Libs.private system libraries.
# shellcheck disable=SC2046
"$CC" -std=c11 "${WARN[@]}" c/diarize_file.c $(pkg-config --cflags voiceflow) \
  "$(pkg-config --variable=staticlib voiceflow)" $(pkg-config --variable=static_libs voiceflow) \
  -o diarize_pc_static
! readelf -d diarize_pc_static | grep -q 'libvoiceflow' || die "static build depends on libvoiceflow.so"
case " $(pkg-config --static --libs voiceflow) " in
  *" -lvoiceflow $(pkg-config --variable=static_libs voiceflow) "*) ;;
  *) die "Libs.private differs from static_libs: $(pkg-config --static --libs voiceflow)" ;;
esac
expect_same pkg-config-static ./diarize_pc_static

# CMake: find_package(voiceflow CONFIG) with imported targets.
if ! command -v cmake >/dev/null; then
  say "cmake is missing: installing Debian's cmake package"
  command -v apt-get >/dev/null || die "cmake is missing and apt-get is unavailable; install cmake"
  apt-get install -y --no-install-recommends cmake >"$WORK/apt.log" 2>&1 ||
    { apt-get update >>"$WORK/apt.log" 2>&1 && apt-get install -y --no-install-recommends cmake >>"$WORK/apt.log" 2>&1; } ||
    { cat "$WORK/apt.log" >&2; die "could not install cmake with apt-get"; }
fi
cp -r "$ROOT/tests/bindings/cmake_consumer" "$WORK/consumer"
cmake -S "$WORK/consumer" -B "$WORK/consumer-build" -DCMAKE_PREFIX_PATH="$PREFIX" \
  -DEXAMPLES="$WORK" -DCMAKE_BUILD_TYPE=Release >"$WORK/cmake.log" 2>&1 ||
  { cat "$WORK/cmake.log" >&2; die "cmake configure failed"; }
cmake --build "$WORK/consumer-build" >>"$WORK/cmake.log" 2>&1 ||
  { cat "$WORK/cmake.log" >&2; die "cmake build failed"; }
expect_same cmake-shared "$WORK/consumer-build/diarize_file_shared"
expect_same cmake-static "$WORK/consumer-build/diarize_file_static"
expect_same cmake-cpp "$WORK/consumer-build/diarize_file_cpp"

# A version the package does not provide must be refused.
mkdir -p "$WORK/too-new"
printf 'cmake_minimum_required(VERSION 3.16)\nproject(p NONE)\nfind_package(voiceflow 9.0 CONFIG REQUIRED)\n' \
  >"$WORK/too-new/CMakeLists.txt"
if cmake -S "$WORK/too-new" -B "$WORK/too-new/build" -DCMAKE_PREFIX_PATH="$PREFIX" >/dev/null 2>&1; then
  die "find_package(voiceflow 9.0) succeeded against $(pkg-config --modversion voiceflow)"
fi
say "all installed builds give the same answer"
