#!/usr/bin/env bash
# Throughput of `emonet data audit` (balance + exact duplicates + decode; no face detector,
# no model) and `emonet data pack` on 100k small PNGs (bench/audit_bench_data.py, generated
# once into /tmp/emonet-audit-bench), with peers measured in the same run: the same audit
# pass in Python (bench/audit_peer.py: Pillow + hashlib, 2 processes) and GNU tar writing
# the same files into one archive. Holds /tmp/emonet-bench.lock so no two benchmarks overlap.
#
#   bench/audit_bench.sh [BUILD_DIR] [RUNS]   (defaults: build/release, 3 runs each)
#   N=20000 bench/audit_bench.sh              (a smaller set, in its own folder)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/release}"
runs="${2:-3}"
n="${N:-100000}"
emonet="$PWD/$build/bin/emonet"
data="/tmp/emonet-audit-bench-$n"
[ -x "$emonet" ] || { echo "build first: scripts/build release" >&2; exit 2; }
if [ ! -f "$data/metadata.csv" ]; then
  echo "generating $n images into $data ..." >&2
  /usr/bin/python3 bench/audit_bench_data.py "$data" "$n"
fi
if [ -z "${EMONET_BENCH_LOCKED:-}" ]; then
  exec env EMONET_BENCH_LOCKED=1 flock /tmp/emonet-bench.lock "$0" "$@"
fi

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Wall and CPU (user + system) seconds of one command.
timed() {
  /usr/bin/time -f "%e %U %S" -o "$work/time" "$@" >"$work/stdout" 2>"$work/stderr" ||
    { cat "$work/stderr" >&2; exit 1; }
  read -r wall user sys <"$work/time"
  echo "$wall $(echo "$user + $sys" | bc -l)"
}
bytes=$(du -sb "$data/images" | cut -f1)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "set: $n images, $((bytes / 1000000)) MB in $data"

report() {  # variable, name, list of "wall cpu" lines
  local var="$1" name="$2"; shift 2
  local w c
  w=$(printf '%s\n' "$@" | cut -d' ' -f1 | median)
  c=$(printf '%s\n' "$@" | cut -d' ' -f2 | median)
  printf '%-28s median wall %7.2f s  (%8.0f images/s, %6.1f MB/s)  median CPU %7.2f s\n' \
    "$name" "$w" "$(echo "$n / $w" | bc -l)" "$(echo "$bytes / 1000000 / $w" | bc -l)" "$c"
  printf -v "$var" '%s' "$w"
}
audit=() peer=() pack=() tar=()
for i in $(seq "$runs"); do
  rm -rf "$work/report" "$work/shards" "$work/all.tar"
  audit+=("$(timed "$emonet" --quiet data audit "$data" --no-faces --threads 2 --out "$work/report")")
  peer+=("$(timed /usr/bin/python3 bench/audit_peer.py "$data")")
  pack+=("$(timed "$emonet" --quiet data pack "$data" --shard-size 1GB -o "$work/shards")")
  tar+=("$(timed tar -C "$data" -cf "$work/all.tar" images metadata.csv)")
done
report audit_w "emonet data audit" "${audit[@]}"
report peer_w "python peer (Pillow)" "${peer[@]}"
report pack_w "emonet data pack" "${pack[@]}"
report tar_w "GNU tar" "${tar[@]}"
echo "audit speed / peer: $(echo "$peer_w / $audit_w" | bc -l | cut -c1-5)x"
echo "pack speed / tar:   $(echo "$tar_w / $pack_w" | bc -l | cut -c1-5)x"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
