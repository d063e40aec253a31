#!/usr/bin/env bash
# Writes the seed corpora of the fuzz targets into fuzz/corpus/ (not committed):
#   survey_plan: each shipped survey, a NUL byte, then its plan;
#   ballots:     small slices of the fixture ballot files and rosters, plus a BOM,
#                CRLF, ragged, quoted-newline and GBK variant;
#   parquet:     a simulated ballot file of the pooled plan under the targets'
#                4-unit roster, its keys file, and the files of tests/fixtures/fuzz/;
#   tally_file:  the tally of that ballot file.
# The last two run the release binary (cargo run --release).
set -euo pipefail
cd "$(dirname "$0")"
root=..
sp=corpus/survey_plan
b=corpus/ballots
mkdir -p "$sp" "$b"

for plan in "$root"/surveys/*.plan.yaml "$root"/tests/fixtures/*/plan.yaml; do
  dir=$(dirname "$plan")
  survey=$(sed -n 's/^survey: *//p' "$plan" | head -n1)
  name=$(basename "$dir")-$(basename "$plan" .yaml)
  { cat "$dir/$survey"; printf '\0'; cat "$plan"; } > "$sp/$name"
done

for f in "$root"/tests/fixtures/campaign-*/ballots.csv; do
  name=$(basename "$(dirname "$f")")
  total=$(wc -l < "$f")
  for start in 2 $((total / 3)) $((total / 2)) $((total - 12)); do
    { head -n1 "$f"; sed -n "${start},$((start + 11))p" "$f"; } > "$b/$name-$start.csv"
  done
  head -n 8 "$(dirname "$f")/roster.csv" > "$b/$name-roster.csv"
done

first=$root/tests/fixtures/campaign-pooled/ballots.csv
head -n 6 "$first" | sed '1s/^/\xef\xbb\xbf/' > "$b/bom.csv"
head -n 6 "$first" | sed 's/$/\r/' > "$b/crlf.csv"
{ head -n 3 "$first"; sed -n 4p "$first" | sed 's/,[^,]*$//'; sed -n 5p "$first" | sed 's/$/,extra/'; } > "$b/ragged.csv"
{ head -n 2 "$first"; sed -n 3p "$first" | sed 's/,1,/,"1\n2",/'; sed -n 4p "$first" | sed 's/,1,/,１,/'; } > "$b/quoted-fullwidth.csv"
if command -v iconv >/dev/null 2>&1; then
  head -n 5 "$root"/tests/fixtures/campaign-pooled/roster.csv | iconv -f UTF-8 -t GBK > "$b/roster-gbk.csv"
fi
pq=corpus/parquet
tf=corpus/tally_file
mkdir -p "$pq" "$tf"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
app() { cargo run --release --quiet --manifest-path "$root/Cargo.toml" -- "$@"; }
sed '/^exclude:/d' "$root"/tests/fixtures/campaign-pooled/plan.yaml > "$tmp/plan.yaml"
cp "$root"/tests/fixtures/campaign-pooled/survey.yaml "$tmp/"
printf '%s\n' unit_id,name,department,kind,issued U001,城区供电所,供电,站所,40 U002,索河供电所,供电,站所, \
  U003,侏儒供电所,供电,站所,3 U004,办证窗口,政务,窗口,40 > "$tmp/roster.csv"
app simulate -q --plan "$tmp/plan.yaml" --roster "$tmp/roster.csv" --out "$tmp/sim" --format parquet --ballots-per-unit 5
app tally -q --plan "$tmp/plan.yaml" --roster "$tmp/roster.csv" --ballots "$tmp/sim/ballots.parquet" \
  --out "$tmp/t.tally.parquet" --keys-out "$tmp/k.parquet"
cp "$tmp/sim/ballots.parquet" "$pq/sim.parquet"
cp "$tmp/k.parquet" "$pq/keys.parquet"
cp "$root"/tests/fixtures/fuzz/*.parquet "$pq/"
cp "$tmp/t.tally.parquet" "$tf/t4.tally.parquet"
echo "seeded $(ls "$sp" | wc -l) survey_plan, $(ls "$b" | wc -l) ballots, $(ls "$pq" | wc -l) parquet and $(ls "$tf" | wc -l) tally_file inputs"
