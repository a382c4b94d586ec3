#!/usr/bin/env bash
# Enrolled speakers on ami-dev (issue 17): voiceprints from each clip's first half, named
# speech in its second half, in offline and streaming mode. See scripts/eval/enroll.py.
#
#   bash scripts/eval/enroll.sh [DATA_DIR]        (make eval-enroll)
#
# DATA_DIR     shared data folder; default $VOICEFLOW_DATA, else ../shared/data.
#
# Environment (as scripts/eval/run.sh):
#   VOICEFLOW_BIN        CLI binary (default target/release/voiceflow)
#   VOICEFLOW_EVAL_ARGS  extra arguments for every `voiceflow diarize`, e.g.
#                        "--set known_speaker_threshold=0.5"
#   VOICEFLOW_EVAL_OUT   work folder and report.json (default .voiceflow/eval-enroll)
#   VOICEFLOW_HOME       set-up folder with eval-venv/ (default .voiceflow)
#   PYTHON               interpreter used to create the venv (default python3)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DATA_DIR="${1:-${VOICEFLOW_DATA:-$REPO_ROOT/../shared/data}}"
if [ ! -d "$DATA_DIR/ami-dev" ]; then
  echo "error: data folder '$DATA_DIR' has no ami-dev/ (pass it as an argument or set VOICEFLOW_DATA)" >&2
  exit 2
fi
DATA_DIR="$(cd "$DATA_DIR" && pwd)"
BIN="${VOICEFLOW_BIN:-$REPO_ROOT/target/release/voiceflow}"
case "$BIN" in
  /*) ;;
  *) BIN="$PWD/$BIN" ;;
esac
if [ ! -x "$BIN" ]; then
  echo "error: CLI binary '$BIN' not found; build it with 'cargo build --release'" >&2
  exit 2
fi
VF_HOME="${VOICEFLOW_HOME:-$REPO_ROOT/.voiceflow}"
mkdir -p "$VF_HOME"
VF_HOME="$(cd "$VF_HOME" && pwd)"
OUT="${VOICEFLOW_EVAL_OUT:-$VF_HOME/eval-enroll}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

# ---- Python tools: the same venv and stamp as run.sh (idempotent) ---------------
VENV="$VF_HOME/eval-venv"
REQ="$REPO_ROOT/scripts/requirements-eval.txt"
PY="${PYTHON:-python3}"
# shellcheck source=scripts/eval/venv.sh
source "$REPO_ROOT/scripts/eval/venv.sh"
eval_venv "$VENV" "$REQ" "$PY"

commit="$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo none)"
if [ -n "$(git -C "$REPO_ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  commit="$commit-dirty"
fi
cd "$REPO_ROOT/scripts/eval"
exec "$VENV/bin/python" enroll.py --data "$DATA_DIR" --bin "$BIN" --out "$OUT" \
  --args="${VOICEFLOW_EVAL_ARGS:-}" --meta "commit=$commit"
