#!/usr/bin/env bash
# voiceflow GPU set-up: ONNX Runtime with the CUDA execution provider, plus the CUDA 13 and
# cuDNN 9 libraries it needs, from the Python package index (pinned and SHA-256 checked in
# scripts/requirements-gpu.txt).
#
#   bash scripts/setup_gpu.sh        (what `make setup-gpu` runs; about 1.6 GB of downloads,
#                                     2.5 GB on disk; NOT part of `make test`)
#
# Output, all in one flat folder so that the libraries find each other ($ORIGIN run paths)
# and voiceflow can preload them without LD_LIBRARY_PATH:
#
#   $VOICEFLOW_HOME/downloads-gpu/*.whl           the verified wheels
#   $VOICEFLOW_HOME/onnxruntime-gpu/libonnxruntime.so{,.1.31.1}, libonnxruntime_providers_*.so
#   $VOICEFLOW_HOME/onnxruntime-gpu/libcudart.so.13, libcublas*.so.13, libcudnn*.so.9, ...
#   $VOICEFLOW_HOME/onnxruntime-gpu/setup.ok      stamp (requirements hash); re-runs are instant
#
# The NVIDIA driver (libcuda.so.1) is not on the package index: it comes with the machine.
# Needs `make setup` first (its venv's pip does the downloads). Idempotent; offline once done.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VF_HOME=${VOICEFLOW_HOME:-$ROOT/.voiceflow}
REQS=$ROOT/scripts/requirements-gpu.txt
DL=$VF_HOME/downloads-gpu
OUT=$VF_HOME/onnxruntime-gpu
STAMP=$OUT/setup.ok
ORT_GPU_VERSION=1.31.1
VPY=$VF_HOME/venv/bin/python

say() { printf 'voiceflow gpu set-up: %s\n' "$*"; }
die() { printf 'voiceflow gpu set-up: ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(uname -s)" = Linux ] && [ "$(uname -m)" = x86_64 ] \
  || die "the pinned GPU wheels are for Linux x86_64 (found $(uname -s) $(uname -m))"
[ -x "$VPY" ] || die "run \`make setup\` first (its venv at $VF_HOME/venv downloads the wheels)"

stamp_text() { printf 'voiceflow-gpu-setup onnxruntime-gpu-%s %s\n' "$ORT_GPU_VERSION" "$(sha256sum "$REQS" | cut -d' ' -f1)"; }
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(stamp_text)" ] && [ -e "$OUT/libonnxruntime.so" ]; then
  say "up to date ($OUT)"
  exit 0
fi

mkdir -p "$DL" "$OUT"
rm -f "$STAMP"
say "downloading the pinned wheels into $DL (hash-checked; files already there are reused)"
"$VPY" -m pip --disable-pip-version-check --no-input download -q --progress-bar off \
  --require-hashes --no-deps --only-binary=:all: -r "$REQS" --dest "$DL" \
  || die "could not download or verify the wheels of $REQS (network? hash mismatch?)"

say "extracting the libraries into $OUT"
"$VPY" - "$REQS" "$DL" "$OUT" <<'PYEOF' || die "could not extract the GPU libraries"
import hashlib, os, re, sys, zipfile
reqs, dl, out = sys.argv[1:]
# Pinned name -> sha256, from the requirements file; every wheel is checked once more here.
pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==\S+ \\\n\s+--hash=sha256:([0-9a-f]{64})", open(reqs).read(), re.M))
wanted = {h: n for n, h in pins.items()}
seen = set()
for wheel in sorted(os.listdir(dl)):
    if not wheel.endswith(".whl"):
        continue
    path = os.path.join(dl, wheel)
    with open(path, "rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    if digest not in wanted:
        continue
    seen.add(digest)
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            base = os.path.basename(info.filename)
            if not re.search(r"\.so(\.[0-9.]+)?$", base):
                continue
            # ONNX Runtime's own libraries (not the Python binding, not TensorRT), and every
            # NVIDIA library; all into one folder.
            if info.filename.startswith("onnxruntime/") and not (
                base.startswith("libonnxruntime") and "tensorrt" not in base
            ):
                continue
            dest = os.path.join(out, base)
            if os.path.isfile(dest) and os.path.getsize(dest) == info.file_size:
                continue
            tmp = dest + ".tmp"
            with z.open(info) as src, open(tmp, "wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
            os.chmod(tmp, 0o755)
            os.replace(tmp, dest)
missing = [n for n, h in pins.items() if h not in seen]
if missing:
    sys.exit(f"wheels missing or with a wrong SHA-256 in {dl}: {missing}")
PYEOF
ln -sfn "libonnxruntime.so.$ORT_GPU_VERSION" "$OUT/libonnxruntime.so.tmp"
mv -fT "$OUT/libonnxruntime.so.tmp" "$OUT/libonnxruntime.so"
for lib in libonnxruntime_providers_cuda.so libonnxruntime_providers_shared.so libcudart.so.13 \
           libcublasLt.so.13 libcublas.so.13 libcurand.so.10 libcufft.so.12 libnvrtc.so.13 libcudnn.so.9; do
  [ -f "$OUT/$lib" ] || die "$lib missing after extraction"
done
stamp_text >"$STAMP.tmp"
mv -f "$STAMP.tmp" "$STAMP"
say "done ($OUT; $(du -sh "$OUT" | cut -f1))"
