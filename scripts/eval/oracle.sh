#!/usr/bin/env bash
# Diagnostic: how far is the engine from a perfect tracker or a perfect speaker encoder?
#
#   bash scripts/eval/oracle.sh MODE [voiceflow diarize args...]     (make eval-oracle)
#
# MODE  map               each window's local speakers go to the reference speakers they
#                         share the most activity with (the tracker is bypassed): the
#                         segmenter's own error, with clustering perfect;
#       voiceprint:ALPHA  the tracker runs as usual, but every voiceprint is pulled towards
#                         a direction that identifies the reference speaker heard in its
#                         audio (ALPHA 10: a perfect speaker encoder; smaller values:
#                         encoders between that and GE2E). See src/pipeline/oracle.rs.
#
# Builds the CLI with the `eval-oracle` feature into target/eval-oracle (the shipped
# binary is never touched), then runs scripts/eval/run.sh (same sets, shifts and
# environment variables) with each clip pointed at its reference RTTM. Hypotheses and
# report: $VOICEFLOW_HOME/eval-oracle/<MODE>/ (the last `make eval` report is kept).
set -euo pipefail

MODE="${1:?usage: oracle.sh map|voiceprint:ALPHA [diarize args...]}"
shift
case "$MODE" in
  map | voiceprint:[0-9]*) ;;
  *) echo "error: MODE is map or voiceprint:ALPHA, not '$MODE'" >&2; exit 2 ;;
esac

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VF_HOME="${VOICEFLOW_HOME:-$REPO_ROOT/.voiceflow}"
mkdir -p "$VF_HOME"
VF_HOME="$(cd "$VF_HOME" && pwd)"
DATA_DIR="${VOICEFLOW_DATA:-$REPO_ROOT/../shared/data}"
if [ ! -d "$DATA_DIR/ami-dev" ]; then
  echo "error: data folder '$DATA_DIR' has no ami-dev/ (set VOICEFLOW_DATA)" >&2
  exit 2
fi
DATA_DIR="$(cd "$DATA_DIR" && pwd)"
OUT="$VF_HOME/eval-oracle/${MODE//:/-}"
mkdir -p "$OUT"

echo "building the eval-oracle CLI (target/eval-oracle) ..."
cargo build --release --quiet --features eval-oracle --bin voiceflow \
  --manifest-path "$REPO_ROOT/Cargo.toml" --target-dir "$REPO_ROOT/target/eval-oracle"
BIN="$REPO_ROOT/target/eval-oracle/release/voiceflow"

# run.sh calls `$VOICEFLOW_BIN diarize CLIP.wav ...`; shifted copies lie in
# .../shifted/<set>/<shift>/. Clip names are unique across the sets.
WRAPPER="$OUT/voiceflow-oracle"
cat >"$WRAPPER" <<WRAP
#!/usr/bin/env bash
set -euo pipefail
wav="\$2"
clip="\$(basename "\$wav" .wav)"
dir="\$(dirname "\$wav")"
shift_s=0
case "\$dir" in */shifted/*) shift_s="\$(basename "\$dir")" ;; esac
ref=""
for candidate in "$DATA_DIR/ami-dev/\$clip.rttm" "$VF_HOME/eval/sim/\$clip.rttm" \
  "$VF_HOME/eval/tel8k/\$clip.rttm"; do
  if [ -f "\$candidate" ]; then ref="\$candidate"; break; fi
done
if [ -z "\$ref" ]; then echo "oracle: no reference RTTM for \$clip" >&2; exit 2; fi
VOICEFLOW_ORACLE_RTTM="\$ref" VOICEFLOW_ORACLE_SHIFT="\$shift_s" VOICEFLOW_ORACLE_MODE="$MODE" \
  exec "$BIN" "\$@"
WRAP
chmod +x "$WRAPPER"

# `map` replaces the streaming tracker's assignment: it means nothing to the offline mode.
default_modes="offline streaming"
[ "$MODE" = map ] && default_modes="streaming"
VOICEFLOW_BIN="$WRAPPER" VOICEFLOW_EVAL_OUT="$OUT" VOICEFLOW_EVAL_ARGS="${*:-${VOICEFLOW_EVAL_ARGS:-}}" \
  VOICEFLOW_EVAL_MODES="${VOICEFLOW_EVAL_MODES:-$default_modes}" bash "$REPO_ROOT/scripts/eval/run.sh" "$DATA_DIR"
