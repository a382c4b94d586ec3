#!/usr/bin/env bash
# Runs the C and C++ examples built by `make examples` and checks what they print:
# - diarize_file (C) and diarize_file_cpp print the same lines, in the convention's format
#   ("%.3f %.3f %u"), and nothing else on stdout; the C output is saved as
#   EX_DIR/expected.txt for the install test;
# - diarize_stream (small irregular chunks) finds exactly the same segments;
# - the file examples read other formats through the library's decoder: on MP3, the
#   same audio lossy-coded, C and C++ print the same lines, speakers and all;
# - bad input exits non-zero with a message on stderr and nothing on stdout.
#
#   tests/bindings/test_examples.sh EX_DIR WAV MP3
set -euo pipefail

EX_DIR=$1
WAV=$2
MP3=$3
die() { printf 'test-examples: FAIL: %s\n' "$*" >&2; exit 1; }
say() { printf 'test-examples: %s\n' "$*"; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

"$EX_DIR/diarize_file" "$WAV" >"$EX_DIR/expected.txt"
[ -s "$EX_DIR/expected.txt" ] || die "diarize_file printed no segments"
grep -Evq '^[0-9]+\.[0-9]{3} [0-9]+\.[0-9]{3} [0-9]+$' "$EX_DIR/expected.txt" &&
  die "diarize_file printed a line outside the convention"
say "C: $(wc -l <"$EX_DIR/expected.txt") segments, $(cut -d' ' -f3 "$EX_DIR/expected.txt" | sort -u | wc -l) speakers"

"$EX_DIR/diarize_file_cpp" "$WAV" >"$TMP/cpp.txt"
diff -u "$EX_DIR/expected.txt" "$TMP/cpp.txt" >&2 || die "C++ example differs from the C example"
say "C++: same segments"

"$EX_DIR/diarize_stream" "$WAV" >"$TMP/stream.txt"
awk '/ speaker /{ printf "%.3f %.3f %d\n", $1, $2, $4 }' "$TMP/stream.txt" >"$TMP/stream.seg"
diff -u "$EX_DIR/expected.txt" "$TMP/stream.seg" >&2 || die "streaming in 10-30 ms chunks changed the segments"
grep -q 'segments; delay' "$TMP/stream.txt" || die "diarize_stream printed no summary"
say "stream: same segments; $(tail -1 "$TMP/stream.txt")"

# Other layouts the readers (the library's decoder, and wav.h in diarize_stream) accept:
# stereo 16-bit, 32-bit float behind a padded JUNK chunk.
python3 "$(dirname "$0")/make_wav_variants.py" "$WAV" "$TMP"
for variant in stereo float_junk; do
  for prog in diarize_file diarize_file_cpp; do
    "$EX_DIR/$prog" "$TMP/$variant.wav" >"$TMP/variant.txt"
    diff -u "$EX_DIR/expected.txt" "$TMP/variant.txt" >&2 || die "$prog: $variant.wav differs"
  done
  "$EX_DIR/diarize_stream" "$TMP/$variant.wav" >"$TMP/stream.txt"
  awk '/ speaker /{ printf "%.3f %.3f %d\n", $1, $2, $4 }' "$TMP/stream.txt" >"$TMP/variant.txt"
  diff -u "$EX_DIR/expected.txt" "$TMP/variant.txt" >&2 || die "diarize_stream: $variant.wav differs"
done
say "stereo and float WAV: same segments"

# Lossy coding moves the segments a little, and streaming at the default settings can merge
# two of the voices (the offline answer keeps all three: the bindings' tests check that),
# so the MP3's answer is checked against the other language, not against the WAV's.
"$EX_DIR/diarize_file" "$MP3" >"$TMP/mp3.txt"
grep -Evq '^[0-9]+\.[0-9]{3} [0-9]+\.[0-9]{3} [0-9]+$' "$TMP/mp3.txt" &&
  die "diarize_file printed a line outside the convention for $MP3"
mp3_speakers=$(cut -d' ' -f3 "$TMP/mp3.txt" | sort -u | wc -l)
[ "$mp3_speakers" -ge 2 ] || die "diarize_file found $mp3_speakers speaker(s) in $MP3"
"$EX_DIR/diarize_file_cpp" "$MP3" >"$TMP/mp3_cpp.txt"
diff -u "$TMP/mp3.txt" "$TMP/mp3_cpp.txt" >&2 || die "C++ example differs from the C example on $MP3"
say "MP3: C and C++ agree on $(wc -l <"$TMP/mp3.txt") segments, $mp3_speakers speakers"

# Bad input: a clear message on stderr, nothing on stdout, non-zero exit.
printf 'RIFF\x04\x00\x00\x00WAVE' >"$TMP/empty.wav"            # no chunks at all
head -c 30 "$WAV" >"$TMP/truncated.wav"                      # fmt chunk cut short
printf 'not audio at all\n' >"$TMP/text.wav"
for prog in diarize_file diarize_file_cpp diarize_stream; do
  for bad in "$TMP/missing.wav" "$TMP/empty.wav" "$TMP/truncated.wav" "$TMP/text.wav"; do
    if "$EX_DIR/$prog" "$bad" >"$TMP/out" 2>"$TMP/err"; then
      die "$prog accepted $bad"
    fi
    [ ! -s "$TMP/out" ] || die "$prog printed to stdout for $bad"
    [ -s "$TMP/err" ] || die "$prog gave no message for $bad"
  done
  if "$EX_DIR/$prog" >"$TMP/out" 2>"$TMP/err"; then die "$prog ran without arguments"; fi
done
say "bad input: refused with a message"

# A library error (missing default models) is reported with vf_last_error's text.
if VOICEFLOW_HOME=$TMP/nowhere "$EX_DIR/diarize_file" "$WAV" >"$TMP/out" 2>"$TMP/err"; then
  die "diarize_file ran without ONNX Runtime / models"
fi
grep -q "$TMP/nowhere" "$TMP/err" || die "library error lacks vf_last_error's detail: $(cat "$TMP/err")"
say "library errors: reported with vf_last_error ($(head -c 80 "$TMP/err")...)"
