#!/usr/bin/env bash
# Accuracy evaluation: diarize the AMI dev clips, a simulated LibriSpeech set and a
# simulated 8 kHz telephone stream with the voiceflow CLI and score DER with
# pyannote.metrics.
#
#   bash scripts/eval/run.sh [--selftest] [DATA_DIR]        (make eval)
#
# DATA_DIR     shared data folder; default $VOICEFLOW_DATA, else ../shared/data
#              beside the repository.
# --selftest   check the scorer only (references against themselves and degraded
#              copies); needs no CLI.
#
# Environment:
#   VOICEFLOW_BIN        CLI binary (default target/release/voiceflow)
#   VOICEFLOW_EVAL_ARGS  extra arguments for `voiceflow diarize`, e.g. "--latency 5"
#   VOICEFLOW_EVAL_SETS  sets to run (default "ami-dev sim tel8k"): ami-dev (real AMI
#                        clips), sim (16 simulated 2-4 speaker conversations, 16 kHz),
#                        tel8k (one simulated 20-minute, 4-speaker telephone-band stream
#                        of short turns, 8 kHz; simulate.py --profile tel8k)
#   VOICEFLOW_EVAL_MODES  session modes to run (default "offline streaming"): every set
#                        runs in each, scored as "<set>/<mode>" (offline: the whole clip
#                        clustered at flush, the CLI's default; streaming: the live answer)
#   VOICEFLOW_EVAL_SHIFTS  phase shifts in seconds (default "0 0.13 0.27 0.41"): each set
#                        also runs with that much silence in front of every clip, is scored
#                        as "<set>@<shift>", and the mean over the shifts is printed last
#                        and stored as report["phases"] (see scripts/eval/shift.py). "0"
#                        alone is the quick single run.
#   VOICEFLOW_HOME       work folder (default .voiceflow at the repository root):
#                        eval-venv/ (pinned Python tools), eval/sim/ and eval/tel8k/
#                        (simulated sets, regenerated only when the generator or its
#                        seed changes),
#                        eval/shifted/<set>/<shift>/ (phase-shifted audio copies),
#                        eval/hyp/<set>[@<shift>]/ (scored RTTM, logs; raw/ = CLI output
#                        before the shift is taken back), eval/report.json
#   VOICEFLOW_EVAL_OUT   folder for hyp/ and report.json instead of eval/ (so a diagnostic
#                        run, e.g. scripts/eval/oracle.sh, keeps the last real report)
#   PYTHON               interpreter used to create the venv (default python3)
set -euo pipefail

SELFTEST=0
if [ "${1:-}" = "--selftest" ]; then
  SELFTEST=1
  shift
fi

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DATA_DIR="${1:-${VOICEFLOW_DATA:-$REPO_ROOT/../shared/data}}"
if [ ! -d "$DATA_DIR/ami-dev" ] || [ ! -d "$DATA_DIR/librispeech" ]; then
  echo "error: data folder '$DATA_DIR' has no ami-dev/ or librispeech/" >&2
  echo "       pass it as an argument or set VOICEFLOW_DATA" >&2
  exit 2
fi
DATA_DIR="$(cd "$DATA_DIR" && pwd)"

BIN="${VOICEFLOW_BIN:-$REPO_ROOT/target/release/voiceflow}"
case "$BIN" in
  /*) ;;
  *) BIN="$PWD/$BIN" ;;
esac

VF_HOME="${VOICEFLOW_HOME:-$REPO_ROOT/.voiceflow}"
mkdir -p "$VF_HOME"
VF_HOME="$(cd "$VF_HOME" && pwd)"
VENV="$VF_HOME/eval-venv"
EVAL="$VF_HOME/eval"
OUT="${VOICEFLOW_EVAL_OUT:-$EVAL}"
REQ="$REPO_ROOT/scripts/requirements-eval.txt"
SETS="${VOICEFLOW_EVAL_SETS:-ami-dev sim tel8k}"
SHIFTS="${VOICEFLOW_EVAL_SHIFTS:-0 0.13 0.27 0.41}"
MODES="${VOICEFLOW_EVAL_MODES:-offline streaming}"

# ---- Python tools (idempotent) -------------------------------------------------
PY="${PYTHON:-python3}"
# shellcheck source=scripts/eval/venv.sh
source "$REPO_ROOT/scripts/eval/venv.sh"
eval_venv "$VENV" "$REQ" "$PY"
VPY="$VENV/bin/python"

# ---- simulated sets (regenerated only when the generator or seed changed) ------
mkdir -p "$EVAL"
case " $SETS " in
  *" sim "*) "$VPY" "$REPO_ROOT/scripts/eval/simulate.py" --data "$DATA_DIR" --out "$EVAL/sim" ;;
esac
case " $SETS " in
  *" tel8k "*) "$VPY" "$REPO_ROOT/scripts/eval/simulate.py" --profile tel8k --data "$DATA_DIR" --out "$EVAL/tel8k" ;;
esac

# set name -> audio/reference folder and UEM
set_dir() {
  case "$1" in
    ami-dev) echo "$DATA_DIR/ami-dev" ;;
    sim) echo "$EVAL/sim" ;;
    tel8k) echo "$EVAL/tel8k" ;;
    *) echo "unknown set '$1' (known: ami-dev sim tel8k)" >&2; exit 2 ;;
  esac
}
set_uem() {
  case "$1" in
    ami-dev) echo "$DATA_DIR/ami-dev/all.uem" ;;
    sim) echo "$EVAL/sim/all.uem" ;;
    tel8k) echo "$EVAL/tel8k/all.uem" ;;
  esac
}

if [ "$SELFTEST" = 1 ]; then
  args=()
  for s in $SETS; do args+=(--set "$s" "$(set_dir "$s")" "$(set_uem "$s")"); done
  cd "$REPO_ROOT/scripts/eval"
  exec "$VPY" selftest.py "${args[@]}"
fi

# ---- diarize -------------------------------------------------------------------
if [ ! -x "$BIN" ]; then
  echo "error: CLI binary '$BIN' not found; build it with 'cargo build --release'" >&2
  echo "       or point VOICEFLOW_BIN at it" >&2
  exit 2
fi
read -r -a EXTRA <<<"${VOICEFLOW_EVAL_ARGS:-}"
echo "binary: $BIN"
echo "extra args: ${EXTRA[*]:-(none)}"

commit="$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo none)"
if [ -n "$(git -C "$REPO_ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  commit="$commit-dirty"
fi
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
REPORT="$OUT/report.json"
rm -f "$REPORT"
failures=0
for set in $SETS; do
  ref_dir="$(set_dir "$set")"
  uem="$(set_uem "$set")"
  # clips = uris of the UEM, in order
  mapfile -t uris < <(awk 'NF >= 4 && $1 !~ /^#/ { print $1 }' "$uem")
  for mode in $MODES; do
  for shift in $SHIFTS; do
    # Shift 0 is the set itself; other shifts run on copies with leading silence
    # (scripts/eval/shift.py) and are scored as "<set>/<mode>@<shift>".
    name="$set/$mode"
    dir="$ref_dir"
    if [ "$shift" != 0 ]; then
      name="$set/$mode@$shift"
      dir="$EVAL/shifted/$set/$shift"
      src=()
      for u in "${uris[@]}"; do src+=("$ref_dir/$u.wav"); done
      "$VPY" "$REPO_ROOT/scripts/eval/shift.py" audio "$shift" "${src[@]}" --out "$dir"
    fi
    hyp="$OUT/hyp/$name"
    rm -rf "$hyp"
    mkdir -p "$hyp/raw"
    wavs=()
    for u in "${uris[@]}"; do wavs+=("$dir/$u.wav"); done
    "$VPY" -c 'import sys, soundfile as sf
for p in sys.argv[1:]:
    print(p.rsplit("/", 1)[-1][:-4], sf.info(p).duration, sep="\t")' "${wavs[@]}" >"$hyp/durations.tsv"
    : >"$hyp/timings.tsv"
    echo
    echo "diarizing $name: ${#uris[@]} clips ..."
    for u in "${uris[@]}"; do
      t0=$EPOCHREALTIME
      rc=0
      "$BIN" diarize "$dir/$u.wav" --format rttm --mode "$mode" "${EXTRA[@]}" >"$hyp/raw/$u.rttm" 2>"$hyp/$u.log" || rc=$?
      t1=$EPOCHREALTIME
      dur="$(awk -F'\t' -v u="$u" '$1 == u { print $2 }' "$hyp/durations.tsv")"
      secs="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')"
      if [ "$rc" != 0 ]; then
        failures=$((failures + 1))
        echo "  $u: FAILED (exit $rc), scored as empty; last lines of $hyp/$u.log:" >&2
        tail -n 5 "$hyp/$u.log" | sed 's/^/    /' >&2
        : >"$hyp/$u.rttm"
      else
        "$VPY" "$REPO_ROOT/scripts/eval/shift.py" rttm "$shift" "$hyp/raw/$u.rttm" "$hyp/$u.rttm"
        printf '%s\t%s\t%s\n' "$u" "$secs" "$dur" >>"$hyp/timings.tsv"
        printf '  %-12s %7.2f s for %6.1f s of audio\n' "$u" "$secs" "$dur"
      fi
    done
    echo
    "$VPY" "$REPO_ROOT/scripts/eval/score.py" --ref "$ref_dir" --hyp "$hyp" --uem "$uem" --name "$name" \
      --report "$REPORT" --timings "$hyp/timings.tsv" \
      --meta "commit=$commit" --meta "binary=$BIN" --meta "extra_args=${EXTRA[*]:-}" \
      --meta "data_dir=$DATA_DIR" --meta "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" --meta "shift_s=$shift" \
      --meta "mode=$mode"
  done
  done
done
if [ "$(wc -w <<<"$SHIFTS")" -gt 1 ]; then
  echo
  "$VPY" "$REPO_ROOT/scripts/eval/score.py" --phase-summary --report "$REPORT"
fi

echo
echo "report: $REPORT"
if [ "$failures" -gt 0 ]; then
  echo "error: $failures clip(s) failed to diarize (logs in $OUT/hyp/)" >&2
  exit 1
fi
