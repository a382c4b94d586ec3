#!/usr/bin/env bash
# Render the example conversation shipped in examples/data/ with espeak-ng + sox.
#
#   bash scripts/make_example.sh [OUT_DIR]      (default: examples/data)
#
# Output:
#   OUT_DIR/conversation.wav   16 kHz mono 16-bit PCM, three synthetic voices
#   OUT_DIR/conversation.rttm  exact truth (uri "conversation"), computed from the
#                              rendered sample counts, one SPEAKER line per turn
#
# Deterministic: fixed text, voices, pitch/speed, gaps and gains; sox runs in
# repeatable mode without dither. The rendered audio can still differ slightly
# between espeak-ng versions (the committed files were made with espeak-ng 1.51
# and SoX 14.4.2 on Debian).
#
# Only synthetic speech is used: no recorded audio goes into the repository.
set -euo pipefail

for tool in espeak-ng sox soxi awk; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "error: '$tool' is not installed." >&2
    echo "       On Debian/Ubuntu: sudo apt-get install -y espeak-ng sox" >&2
    exit 1
  fi
done

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT_DIR="${1:-$REPO_ROOT/examples/data}"
mkdir -p "$OUT_DIR"
RATE=16000
URI=conversation

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# Voices: espeak-ng voice+variant, pitch (0-99), speed (words/min), gain (dB after
# peak normalisation to -8 dBFS). Different variants change the formant scaling
# (timbre), not just the pitch, so a speaker-embedding model can separate them.
voice_args() {
  case "$1" in
    alice) echo "-v en-us+f4 -p 72 -s 160" ;;              # bright, high female
    bob)   echo "-v en-gb+m7 -p 22 -s 138" ;;              # low, breathy male
    carol) echo "-v en-gb-scotland+f2 -p 45 -s 182" ;;     # rough, lower female, fast
    *) echo "unknown speaker $1" >&2; exit 1 ;;
  esac
}
voice_gain() {
  case "$1" in
    alice) echo "0" ;;
    bob)   echo "-3" ;;
    carol) echo "-1.5" ;;
  esac
}

# The dialogue: speaker | gap before the turn in seconds (negative = overlap with
# the end of the previous turn) | text.
read -r -d '' SCRIPT <<'EOF' || true
alice|0.50|Good morning everyone. Thanks for joining the call so early today.
bob|0.60|Morning. I have the numbers from last week ready to share.
carol|0.45|Great, before we start, can everybody hear me clearly?
alice|0.35|Yes, you sound fine to me.
bob|0.80|So, the new build cut the processing time almost in half on the small servers.
carol|0.50|That is impressive. Did memory use go up at all?
bob|0.40|A little, but it stays well under the limit we agreed on.
alice|1.10|Okay. Then I think we can roll it out to the second group on Monday.
carol|-0.70|Wait, wait, hold on, there is one more thing first.
carol|0.30|The support team asked for a week of notice before any rollout.
alice|0.65|Right, I forgot about that. Let us plan for the Monday after.
bob|0.55|Fine by me. I will write the announcement this afternoon.
carol|0.90|Perfect. I will tell support today, then.
alice|0.45|Thanks both. Let us meet again on Thursday.
EOF

RTTM="$WORK/out.rttm"
: >"$RTTM"
mix_inputs=()
cursor=0      # end of the previous turn, in samples
i=0
printf '%-4s %-6s %8s %8s %8s\n' turn spk start dur gap
while IFS='|' read -r spk gap text; do
  [ -z "$spk" ] && continue
  i=$((i + 1))
  raw="$WORK/raw_$i.wav"
  trimmed="$WORK/turn_$i.wav"
  # shellcheck disable=SC2046
  espeak-ng $(voice_args "$spk") -w "$raw" "$text"
  # resample to 16 kHz mono float, trim leading/trailing silence (so the truth marks
  # speech, not padding), peak-normalise and apply the speaker's level.
  sox -R -D "$raw" -r "$RATE" -c 1 -e floating-point -b 32 "$trimmed" \
    silence 1 0.005 0.2% reverse silence 1 0.005 0.2% reverse \
    gain -n -8 gain "$(voice_gain "$spk")"
  n=$(soxi -s "$trimmed")
  gap_samples=$(awk -v g="$gap" -v r="$RATE" 'BEGIN { printf "%d", (g < 0 ? -1 : 1) * int((g < 0 ? -g : g) * r + 0.5) }')
  start=$((cursor + gap_samples))
  if [ "$start" -lt 0 ]; then start=0; fi
  padded="$WORK/padded_$i.wav"
  sox -R -D "$trimmed" "$padded" pad "${start}s"
  mix_inputs+=(-v 1 "$padded")
  end=$((start + n))
  awk -v u="$URI" -v s="$start" -v n="$n" -v r="$RATE" -v k="$spk" \
    'BEGIN { printf "SPEAKER %s 1 %.3f %.3f <NA> <NA> %s <NA> <NA>\n", u, s / r, n / r, k }' >>"$RTTM"
  awk -v i="$i" -v k="$spk" -v s="$start" -v n="$n" -v g="$gap" -v r="$RATE" \
    'BEGIN { printf "%-4d %-6s %8.3f %8.3f %8.2f\n", i, k, s / r, n / r, g }'
  if [ "$end" -gt "$cursor" ]; then cursor=$end; fi
done <<<"$SCRIPT"

# 0.5 s of silence after the last turn.
tail_samples=$((RATE / 2))
total=$((cursor + tail_samples))
sox -R -D -n -r "$RATE" -c 1 -e floating-point -b 32 "$WORK/silence.wav" trim 0 "${total}s"
sox -R -D -m -v 1 "$WORK/silence.wav" "${mix_inputs[@]}" \
  -r "$RATE" -c 1 -e signed-integer -b 16 "$OUT_DIR/conversation.wav"
cp "$RTTM" "$OUT_DIR/conversation.rttm"

echo
echo "total: $(soxi -D "$OUT_DIR/conversation.wav") s, $(soxi -s "$OUT_DIR/conversation.wav") samples"
awk '{ d[$8] += $5; n[$8]++ } END { for (k in d) printf "%-6s %2d turns %6.2f s speech\n", k, n[k], d[k] }' \
  "$OUT_DIR/conversation.rttm" | sort
sox "$OUT_DIR/conversation.wav" -n stat 2>&1 | grep -E 'Maximum amplitude|RMS +amplitude' || true
echo "wrote $OUT_DIR/conversation.wav and $OUT_DIR/conversation.rttm"
