#!/usr/bin/env bash
# Times `appraise score` (and `appraise tally` alone) against DuckDB, polars and
# pandas doing the bare group-by count of the same per-unit x group x item x option
# table from the same Parquet file. Writes a Markdown table of wall time and peak
# RSS (/usr/bin/time -v) per run, the tools alternating, to stdout.
#
#   benches/peers/run.sh [BALLOTS] [RUNS]      # defaults: 10000000 ballots, 3 runs
#
# Environment: BENCH_DIR (data, default /tmp/appraise-bench), VENV (Python venv
# with duckdb, polars, pandas, pyarrow; made if missing, default /work/venv-peers),
# CARGO_TARGET_DIR (as for cargo), TOOLS (the tools to time, in order), BASE_BIN
# (an earlier binary, as the tool `base-score`). The data: the simulator, 300 units of the real
# roster, the 24-item survey of benches/peers/bench24.survey.yaml, 8 rater groups,
# default fault rates, Int8 codes, zstd, row groups of 2^20 rows.
set -euo pipefail
cd "$(dirname "$0")/../.."
. benches/peers/timed.sh
N=${1:-10000000}
RUNS=${2:-3}
DATA=${BENCH_DIR:-/tmp/appraise-bench}/n$N
VENV=${VENV:-/work/venv-peers}
TARGET=${CARGO_TARGET_DIR:-target}
PLAN=benches/peers/bench24.plan.yaml
ROSTER=surveys/examples/caidian-2010.roster.csv

cargo build --release --locked --quiet
BIN=$TARGET/release/appraise
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet duckdb polars pandas pyarrow
fi
if [ ! -f "$DATA/ballots.parquet" ]; then
  "$BIN" simulate --plan $PLAN --roster $ROSTER --out "$DATA" --ballots-per-unit $((N / 300)) --format parquet >&2
fi
ITEMS=$(grep -o 'id: [a-z]*[0-9], dimension' benches/peers/bench24.survey.yaml | cut -d' ' -f2 | tr -d ',' | paste -sd,)
rows=$("$VENV/bin/python" -c "import pyarrow.parquet as pq; print(pq.ParquetFile('$DATA/ballots.parquet').metadata.num_rows)")
echo "data: $DATA/ballots.parquet, $rows rows, $(du -h "$DATA/ballots.parquet" | cut -f1)" >&2

declare -A CMD=(
  [appraise-score]="$BIN score --plan $PLAN --roster $ROSTER --ballots $DATA/ballots.parquet --out $DATA/out -q"
  [appraise-tally]="$BIN tally --plan $PLAN --roster $ROSTER --ballots $DATA/ballots.parquet --out $DATA/t.tally.parquet -q"
  [duckdb]="$VENV/bin/python benches/peers/peers.py duckdb $DATA/ballots.parquet $ITEMS"
  [polars]="$VENV/bin/python benches/peers/peers.py polars $DATA/ballots.parquet $ITEMS"
  [pandas]="$VENV/bin/python benches/peers/peers.py pandas $DATA/ballots.parquet $ITEMS"
)
# BASE_BIN: an earlier appraise binary, timed as `base-score` (add it to TOOLS).
if [ -n "${BASE_BIN:-}" ]; then
  CMD[base-score]="$BASE_BIN score --plan $PLAN --roster $ROSTER --ballots $DATA/ballots.parquet --out $DATA/out-base -q"
fi
ORDER=(appraise-score duckdb appraise-tally polars pandas)
[ -n "${TOOLS:-}" ] && read -r -a ORDER <<< "$TOOLS"

echo "| run | tool | wall (s) | peak RSS (MiB) |"
echo "|---|---|---|---|"
for run in $(seq 1 "$RUNS"); do
  for tool in "${ORDER[@]}"; do
    # shellcheck disable=SC2086 # the command line splits into words
    got=$(timed ${CMD[$tool]}) # a failure stops the script (set -e)
    read -r wall rss <<< "$got"
    echo "| $run | $tool | $wall | $rss |"
  done
done
