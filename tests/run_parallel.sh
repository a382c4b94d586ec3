#!/usr/bin/env bash
# Runs each argument (a shell command line) at the same time, each with its output kept
# apart, then prints every output in argument order under its command line. Exits 1 if
# any failed, naming it. For test programs that only run (nothing built or shared), so
# that single-threaded suites use both cores of a CI machine.
set -uo pipefail
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
pids=()
for i in $(seq 1 $#); do
  bash -c "${!i}" >"$dir/$i.log" 2>&1 &
  pids+=($!)
done
failed=0
for i in $(seq 1 $#); do
  status=0
  wait "${pids[$((i - 1))]}" || status=$?
  echo "== ${!i}"
  cat "$dir/$i.log"
  if [ "$status" -ne 0 ]; then
    echo "FAILED (exit $status): ${!i}" >&2
    failed=1
  fi
done
exit "$failed"
