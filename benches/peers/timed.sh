# Sourced by run.sh and units.sh: `timed CMD...` runs CMD under /usr/bin/time -v
# (its stdout discarded) and prints "WALL_SECONDS PEAK_RSS_MIB"; on failure it
# prints CMD's stderr and exits 1.
timed() {
  local log
  log=$(mktemp)
  /usr/bin/time -v "$@" > "$log.out" 2> "$log" || { echo "$1 failed:" >&2; cat "$log" >&2; rm -f "$log" "$log.out"; exit 1; }
  local wall rss
  wall=$(grep 'Elapsed (wall clock)' "$log" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(grep 'Maximum resident set size' "$log" | awk '{printf "%.0f", $NF/1024}')
  rm -f "$log" "$log.out"
  echo "$wall $rss"
}
