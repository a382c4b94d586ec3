#!/usr/bin/env bash
# Same answer everywhere: the file example of every language (C, C++, Python, Go, Java)
# diarizes FILE with the same settings (default models and config, 100 ms chunks of the
# samples the library decodes from FILE, whatever its format) and must print byte-for-byte
# the same segments.
# Usage: tests/bindings/same_answer.sh [FILE [LANG...]]   (from the repository root)
#   LANG: some of cpp python go java (default: all), each compared with the C example.
set -euo pipefail
file=${1:-examples/data/conversation.wav}
shift $(($# > 0 ? 1 : 0))
langs=("$@")
[ ${#langs[@]} -gt 0 ] || langs=(cpp python go java)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for lang in c "${langs[@]}"; do
    if ! make -s --no-print-directory "example-$lang" FILE="$file" >"$out/$lang.txt" 2>"$out/$lang.err"; then
        echo "same-answer: the $lang example failed:" >&2
        cat "$out/$lang.err" >&2
        exit 1
    fi
done

reference="$out/c.txt"
lines=$(wc -l <"$reference")
if [ "$lines" -eq 0 ] || ! grep -Eqx '[0-9]+\.[0-9]{3} [0-9]+\.[0-9]{3} [0-9]+' "$reference"; then
    echo "same-answer: the C example printed no segments in the agreed format" >&2
    cat "$reference" >&2
    exit 1
fi
status=0
for lang in "${langs[@]}"; do
    if ! diff -u --label c "$reference" --label "$lang" "$out/$lang.txt"; then
        echo "same-answer: $lang differs from C" >&2
        status=1
    fi
done
[ "$status" -eq 0 ] && echo "same-answer: C and ${langs[*]} agree on $lines segments of $file"
exit "$status"
