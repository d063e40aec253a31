#!/usr/bin/env bash
# Writes the seed corpora of the fuzz targets into fuzz/corpus/ (not committed):
#   survey_plan: each shipped survey, a NUL byte, then its plan;
#   ballots:     small slices of the fixture ballot files and rosters, plus a BOM,
#                CRLF, ragged, quoted-newline and GBK variant.
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
echo "seeded $(ls "$sp" | wc -l) survey_plan and $(ls "$b" | wc -l) ballots inputs"
