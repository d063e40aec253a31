#!/usr/bin/env bash
# Whole runs by number of units: `appraise score` on the bench24 plan with a
# generated roster of N windows (departments and kinds cycled from the real 蔡甸
# roster), `simulate --ballots-per-unit 30`, Parquet. Prints wall time and peak
# RSS per run (/usr/bin/time -v), the sizes alternating.
#
#   benches/peers/units.sh [RUNS] [SIZES...]    # defaults: 2 runs; 1000 10000
#
# Environment: BENCH_DIR (data, default /tmp/appraise-bench), CARGO_TARGET_DIR,
# MEMORY (`--memory`, default 1G; 100,000 units need 2G).
set -euo pipefail
cd "$(dirname "$0")/../.."
. benches/peers/timed.sh
RUNS=${1:-2}
shift || true
SIZES=("${@:-1000 10000}")
read -r -a SIZES <<< "${SIZES[*]}"
BASE=${BENCH_DIR:-/tmp/appraise-bench}
TARGET=${CARGO_TARGET_DIR:-target}
PLAN=benches/peers/bench24.plan.yaml
REAL=surveys/examples/caidian-2010.roster.csv

cargo build --release --locked --quiet
BIN=$TARGET/release/appraise
for n in "${SIZES[@]}"; do
  dir=$BASE/units$n
  if [ ! -f "$dir/ballots.parquet" ]; then
    mkdir -p "$dir"
    awk -F, -v n="$n" 'NR == 1 { print; next } { dep[NR - 2] = $3; kind[NR - 2] = $4; m = NR - 1 }
      END { for (i = 0; i < n; i++) printf "W%06d,窗口%d,%s,%s\n", i + 1, i + 1, dep[i % m], kind[i % m] }' \
      "$REAL" > "$dir/roster.csv"
    "$BIN" simulate --plan $PLAN --roster "$dir/roster.csv" --out "$dir" --ballots-per-unit 30 --format parquet >&2
  fi
done
echo "| run | units | wall (s) | peak RSS (MiB) |"
echo "|---|---|---|---|"
for run in $(seq 1 "$RUNS"); do
  for n in "${SIZES[@]}"; do
    dir=$BASE/units$n
    got=$(timed "$BIN" score --plan $PLAN --roster "$dir/roster.csv" --ballots "$dir/ballots.parquet" \
      --out "$dir/out" --memory "${MEMORY:-1G}" -q) # a failure stops the script (set -e)
    read -r wall rss <<< "$got"
    echo "| $run | $n | $wall | $rss |"
  done
done
