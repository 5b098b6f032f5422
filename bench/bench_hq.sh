#!/usr/bin/env bash
# Times `emonet bench hq` on a real-size synthetic hq.csv (2,500 images, 8 experts with 4
# per image, 14 models, ~44,800 rows; tests/fixtures/make_hq.py) with 1,000-resample
# bootstrap CIs, against the Python reference of the authors' notebook
# (tests/fixtures/hq_reference.py: pandas + scikit-learn + SciPy + NumPy) on the same file
# in the same run. Prints each wall time and the medians.
#
#   bench/bench_hq.sh [BUILD_DIR] [RUNS]      (defaults: build/release, 5 C++ runs)
#   PY_RUNS=3 bench/bench_hq.sh               (Python reference runs; default 1, ~1 min each)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/release}"
runs="${2:-5}"
py_runs="${PY_RUNS:-1}"
emonet="$build/bin/emonet"
data="$build/bench-data/hq-full"
[ -x "$emonet" ] || { echo "build first: scripts/build release" >&2; exit 2; }
if [ ! -f "$data/hq.csv" ]; then
  /usr/bin/python3 tests/fixtures/make_hq.py "$data" --emonet "$emonet" >&2
fi

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "file: $data/hq.csv ($(du -m "$data/hq.csv" | cut -f1) MB, $(($(wc -l <"$data/hq.csv") - 1)) rows)"

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
# Wall time and CPU time (user + system) of one command; CPU time is what a busy shared
# machine distorts least.
timed() {
  /usr/bin/time -f "%e %U %S" -o "$out/time" "$@" >"$out/stdout"
  read -r wall user sys <"$out/time"
  echo "$wall $(echo "$user + $sys" | bc -l)"
}
cpp_wall=() cpp_cpu=()
for i in $(seq "$runs"); do
  read -r w c < <(timed "$emonet" bench hq "$data/hq.csv" --bootstrap 1000 --seed 42 \
    --out "$out/cpp")
  cpp_wall+=("$w") cpp_cpu+=("$c")
  echo "emonet bench hq run $i: wall $w s, cpu $c s"
done
py_wall=() py_cpu=()
for i in $(seq "$py_runs"); do
  read -r w c < <(timed /usr/bin/python3 -W ignore tests/fixtures/hq_reference.py "$data/hq.csv" \
    "$out/ref.json" --emonet "$emonet" --bootstrap 1000 --seed 42)
  py_wall+=("$w") py_cpu+=("$c")
  echo "python reference run $i: wall $w s, cpu $c s"
done
cw=$(printf '%s\n' "${cpp_wall[@]}" | median) cc=$(printf '%s\n' "${cpp_cpu[@]}" | median)
pw=$(printf '%s\n' "${py_wall[@]}" | median) pc=$(printf '%s\n' "${py_cpu[@]}" | median)
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'median wall: emonet %.2f s (%d runs), python reference %.1f s (%d runs), ratio %.0fx\n' \
  "$cw" "$runs" "$pw" "$py_runs" "$(echo "$pw / $cw" | bc -l)"
printf 'median cpu:  emonet %.2f s, python reference %.1f s, ratio %.0fx\n' \
  "$cc" "$pc" "$(echo "$pc / $cc" | bc -l)"
