#!/usr/bin/env bash
# Compares the generated code with the interpreter and with PyTorch, in one session on this machine, same thread
# count; prints a table and one "RATIO workload=... peer=... speedup=..." line per workload and peer.
#
#   bench/compare.sh [--threads 2] [--model resnet20|resnet56|charmodel] [--rounds 3] [--peak GFLOPS] [--quick] [--rebuild]
#
# --model charmodel compares the Transformer (the language sample's CharModel): training step and inference at
# batch 32 and 1, generated vs interpreter vs PyTorch eager.
# --rounds runs the JVM peers that many times; the interpreter's speedup is the geometric mean of the rounds' ratios.
# --peak sets the fp32 peak the "% peak" column is against; by default bench/peak/fma_peak.c measures it (gcc).
# --quick runs tiny iteration counts (a smoke test of the script: its numbers mean nothing). Run nothing else
# meanwhile; the script reads /proc/stat around each run and warns when other processes used > 10% of a core.
set -euo pipefail
cd "$(dirname "$0")/.."

rebuild=false
quick=false
pass=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rebuild) rebuild=true ;;
    --quick) quick=true ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) pass+=("$1") ;;
  esac
  shift
done

# A JDK 22+ (the FFM API): JAVA_HOME when it is one, else the first under /usr/lib/jvm.
java_ok() { [[ -x "$1/bin/java" ]] && "$1/bin/java" -version 2>&1 | grep -Eq 'version "(2[2-9]|[3-9][0-9])'; }
if [[ -z "${JAVA_HOME:-}" ]] || ! java_ok "$JAVA_HOME"; then
  JAVA_HOME=""
  for candidate in /usr/lib/jvm/*; do
    if java_ok "$candidate"; then JAVA_HOME="$candidate"; break; fi
  done
  [[ -n "$JAVA_HOME" ]] || { echo "compare.sh: needs a JDK 22 or newer (set JAVA_HOME)" >&2; exit 1; }
fi
export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"

if $rebuild || [[ ! -f bench/target/benchmarks.jar ]]; then
  echo "# building bench/target/benchmarks.jar" >&2
  mvn -B -q -pl bench -am package -DskipTests >&2
fi
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "compare.sh: PyTorch is missing: apt-get install python3-torch (Debian's, used with /usr/bin/python3)" >&2
  exit 1
fi

options=(--java "$JAVA_HOME/bin/java")
if $quick; then
  options+=(--jmh-options "-wi 0 -i 1 -r 1 -f 1" --reps 2 --warmup 1)
fi
exec /usr/bin/python3 bench/compare.py "${options[@]}" "${pass[@]+"${pass[@]}"}"
