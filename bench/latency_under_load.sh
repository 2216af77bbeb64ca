#!/usr/bin/env bash
# Batch-1 inference latency on a quiet machine and beside busy processes, with small products on one thread (the
# default, -Dresidual.gemm.serialBelow=4000000) and with every product on all threads (serialBelow=0).
#
#   bench/latency_under_load.sh [--threads 2] [--busy 2] [--batch 1] [--engine generated] [--serial-below "4000000 0"]
#
# --serial-below lists the -Dresidual.gemm.serialBelow values to compare (multiply-adds; 0 = every product threaded).
# "Busy" processes are shell loops that never sleep, standing in for a service's other work. Prints JMH's median and
# 99th percentile per case, and one line per case:
#   LATENCY batch=B threads=T busy=N serial_below=S p50_ms=... p99_ms=...
# Build first (./residual test, or mvn -B -q install -DskipTests). Run nothing else meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."

threads=2 busy=2 batch=1 engine=generated serial_values="4000000 0"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --threads) threads="$2"; shift ;;
    --busy) busy="$2"; shift ;;
    --batch) batch="$2"; shift ;;
    --engine) engine="$2"; shift ;;
    --serial-below) serial_values="$2"; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

java="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
jar=bench/target/benchmarks.jar
[[ -f "$jar" ]] || { echo "$jar is missing: build first (mvn -B -q install -DskipTests)" >&2; exit 2; }

loops=()
stop_loops() { for pid in "${loops[@]}"; do kill "$pid" 2>/dev/null || true; done; loops=(); }
trap stop_loops EXIT

measure() { # $1 = busy processes, $2 = serialBelow
  stop_loops
  for ((i = 0; i < $1; i++)); do (while :; do :; done) & loops+=($!); done
  local out
  out=$("$java" -jar "$jar" 'NetworkBenchmark.forward$' -p model=resnet20 -p engine="$engine" -p batch="$batch" \
        -p threads="$threads" -jvmArgsAppend "-Dresidual.gemm.serialBelow=$2" \
        -bm sample -tu ms -wi 3 -w 2 -i 3 -r 2 -f 1 2>&1)
  stop_loops
  local p50 p99
  p50=$(awk '/forward:p0.50 /{print $(NF-1)}' <<<"$out")
  p99=$(awk '/forward:p0.99 /{print $(NF-1)}' <<<"$out")
  echo "LATENCY batch=$batch threads=$threads busy=$1 serial_below=$2 p50_ms=${p50:-?} p99_ms=${p99:-?}"
}

for load in 0 "$busy"; do
  for serial in $serial_values; do
    measure "$load" "$serial"
  done
done
