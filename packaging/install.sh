#!/usr/bin/env bash
# Installs the voiceflow headers, libraries, pkg-config file and CMake package into PREFIX
# (what `make install PREFIX=...` runs, after `cargo build --release`).
#
#   packaging/install.sh PREFIX [--with-runtime VOICEFLOW_HOME]
#
# --with-runtime also copies ONNX Runtime and the default models from a set-up folder into
# PREFIX/share/voiceflow, so that VOICEFLOW_HOME=PREFIX/share/voiceflow makes the installed
# library independent of the source tree. DESTDIR is honoured (staged installs).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
die() { printf 'voiceflow install: ERROR: %s\n' "$*" >&2; exit 1; }

[ $# -ge 1 ] || die "usage: install.sh PREFIX [--with-runtime VOICEFLOW_HOME]"
PREFIX=$1
shift
RUNTIME_HOME=
if [ $# -gt 0 ]; then
  [ "$1" = --with-runtime ] && [ $# -eq 2 ] || die "unknown arguments: $*"
  RUNTIME_HOME=$2
fi
case "$PREFIX" in /*) ;; *) die "PREFIX must be an absolute path (got '$PREFIX')" ;; esac

LIB_DIR=$ROOT/target/release
for f in "$LIB_DIR/libvoiceflow.so" "$LIB_DIR/libvoiceflow.a"; do
  [ -f "$f" ] || die "$f is missing: run 'cargo build --release' first"
done

VERSION=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$ROOT/Cargo.toml" | head -1)
[ -n "$VERSION" ] || die "cannot read the version from Cargo.toml"
IFS=. read -r VERSION_MAJOR VERSION_MINOR _ <<<"$VERSION"
# What `cargo rustc --release --lib --crate-type staticlib -- --print native-static-libs`
# reports on Linux (glibc) for this crate; the install test links the static library
# with exactly these.
STATIC_LIBS="-ldl -lgcc_s -lutil -lrt -lpthread -lm"
CMAKE_STATIC_LIBS=$(sed 's/-l//g; s/ /;/g' <<<"$STATIC_LIBS")
SIZEOF_VOID_P=$(getconf LONG_BIT)
SIZEOF_VOID_P=$((SIZEOF_VOID_P / 8))

DEST=${DESTDIR:-}$PREFIX
fill() { # template -> output, replacing the @NAME@ placeholders
  sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@VERSION@|$VERSION|g" \
      -e "s|@VERSION_MAJOR@|$VERSION_MAJOR|g" -e "s|@VERSION_MINOR@|$VERSION_MINOR|g" \
      -e "s|@STATIC_LIBS@|$STATIC_LIBS|g" -e "s|@CMAKE_STATIC_LIBS@|$CMAKE_STATIC_LIBS|g" \
      -e "s|@SIZEOF_VOID_P@|$SIZEOF_VOID_P|g" -e "s|@SIZEOF_VOID_P_BITS@|$((SIZEOF_VOID_P * 8))|g" \
      "$1" >"$2"
  chmod 644 "$2"
}

install -d "$DEST/include" "$DEST/lib/pkgconfig" "$DEST/lib/cmake/voiceflow"
install -m 644 "$ROOT/include/voiceflow.h" "$ROOT/include/voiceflow.hpp" "$DEST/include/"
install -m 755 "$LIB_DIR/libvoiceflow.so" "$DEST/lib/"
install -m 644 "$LIB_DIR/libvoiceflow.a" "$DEST/lib/"
fill "$ROOT/packaging/voiceflow.pc.in" "$DEST/lib/pkgconfig/voiceflow.pc"
fill "$ROOT/packaging/voiceflowConfig.cmake.in" "$DEST/lib/cmake/voiceflow/voiceflowConfig.cmake"
fill "$ROOT/packaging/voiceflowConfigVersion.cmake.in" \
  "$DEST/lib/cmake/voiceflow/voiceflowConfigVersion.cmake"

if [ -n "$RUNTIME_HOME" ]; then
  ORT=$RUNTIME_HOME/onnxruntime
  MODELS=$RUNTIME_HOME/models
  SHIPPED_MODELS=(segmentation-3.0.onnx campplus.int8.onnx silero_vad.onnx ge2e.onnx)
  for f in "$ORT/libonnxruntime.so" "${SHIPPED_MODELS[@]/#/$MODELS/}"; do
    [ -e "$f" ] || die "$f is missing: run 'make setup' first"
  done
  install -d "$DEST/share/voiceflow/onnxruntime" "$DEST/share/voiceflow/models"
  # cp -P keeps the libonnxruntime.so -> libonnxruntime.so.1.x symlink a symlink.
  cp -P "$ORT"/libonnxruntime* "$DEST/share/voiceflow/onnxruntime/"
  install -m 644 "${SHIPPED_MODELS[@]/#/$MODELS/}" "$DEST/share/voiceflow/models/"
fi
printf 'voiceflow %s installed into %s\n' "$VERSION" "$DEST"
