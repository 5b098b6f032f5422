#!/usr/bin/env bash
# Load benchmark of `emonet annotate serve` (SQLite): 200 simulated experts on loopback,
# each fetching its next item and submitting a rating as fast as the server answers,
# against a 20,000-item intensity project. Not a test: results go to docs/PERFORMANCE.md.
#
#   bench/annotate/run.sh [emonet binary] [seconds per run] [runs]
#   EXPERTS=200 ITEMS=20000 THREADS=<server --threads> WORK=<dir to reuse> bench/annotate/run.sh
#   NOSYNC=1 ...   diagnostic: the server without fsync (how much time is the durable commit)
#
# Each run starts from a copy of the same prepared database, logs the experts in (outside
# the measurement), runs wrk for the given time, stops the server, and then checks that
# every acknowledged submission is in the export exactly once: the export's row count
# must equal wrk's acknowledged count, and no (image, annotator) pair may repeat.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
emonet="$(realpath "${1:-$here/../../build/release/bin/emonet}")"
seconds="${2:-20}"
runs="${3:-3}"
experts="${EXPERTS:-200}"
items="${ITEMS:-20000}"
server_threads="${THREADS:-}"
work="${WORK:-$(mktemp -d /tmp/emonet-bench-annotate.XXXXXX)}"
mkdir -p "$work"
echo "work dir: $work"

if [[ ! -f "$work/base.sqlite" ]]; then
  echo "preparing $experts experts and $items items (Argon2id hashing takes a while)..."
  /usr/bin/python3 "$here/prepare.py" db "$emonet" "$work" "$experts" "$items"
fi

pick_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

rm -f "$work/verify.txt" "$work"/wrk*.txt "$work"/acked*.txt
preload=()
if [[ "${NOSYNC:-0}" == 1 ]]; then
  # Diagnostic: no fsync at all (see nosync.c); results are not durable.
  cc -shared -fPIC -O2 -o "$work/nosync.so" "$here/nosync.c"
  preload=(env LD_PRELOAD="$work/nosync.so")
  echo "NOSYNC=1: fsync disabled in the server (diagnostic, not durable)"
fi

for run in $(seq 1 "$runs"); do
  db="$work/run$run.sqlite"
  rm -f "$db" "$db-wal" "$db-shm"
  cp "$work/base.sqlite" "$db"
  port="$(pick_port)"
  extra=()
  [[ -n "$server_threads" ]] && extra=(--threads "$server_threads")
  "${preload[@]}" "$emonet" --quiet annotate serve --db "$db" --listen "127.0.0.1:$port" "${extra[@]}" \
    >"$work/server$run.out" 2>"$work/server$run.err" &
  server=$!
  for _ in $(seq 100); do
    grep -q listening "$work/server$run.out" 2>/dev/null && break
    sleep 0.1
  done
  /usr/bin/python3 "$here/prepare.py" sessions "http://127.0.0.1:$port" "$experts" "$work/sessions$run.txt"
  project_id=$(curl -s -b "emonet_session=$(head -1 "$work/sessions$run.txt" | cut -d' ' -f1)" \
    "http://127.0.0.1:$port/api/projects" | /usr/bin/python3 -c \
    'import json,sys; print(next(p["id"] for p in json.load(sys.stdin)["projects"] if p["name"]=="bench"))')
  EMONET_SESSIONS="$work/sessions$run.txt" EMONET_PROJECT="$project_id" \
    EMONET_ACKED_OUT="$work/acked$run.txt" \
    wrk -t "$experts" -c "$experts" -d "${seconds}s" --timeout 10s --latency \
    -s "$here/experts.lua" "http://127.0.0.1:$port" | tee "$work/wrk$run.txt"
  kill -TERM "$server"
  wait "$server" || true
  "$emonet" annotate export --db "$db" bench --as events.jsonl -o "$work/events$run.jsonl"
  "$emonet" annotate export --db "$db" bench --as hq.csv -o "$work/hq$run.csv"
  /usr/bin/python3 "$here/verify.py" "$work/acked$run.txt" "$work/events$run.jsonl" \
    "$work/hq$run.csv" "$experts" "run=$run" | tee -a "$work/verify.txt" || true
done
echo "medians over $runs runs:"
grep -h RESULT "$work"/wrk*.txt | /usr/bin/python3 -c '
import statistics, sys
rows = [dict(kv.split("=") for kv in line.split()[1:]) for line in sys.stdin]
for key in ("submissions_per_s", "requests_per_s", "p50_ms", "p90_ms", "p99_ms", "max_ms", "errors", "conflicts", "socket_errors"):
    print(f"  {key}: {statistics.median(float(r[key]) for r in rows):g}  (runs: {[r[key] for r in rows]})")'
grep -q MISMATCH "$work/verify.txt" && { echo "LOST OR DUPLICATED VOTES"; exit 1; }
echo "all runs: every acknowledged vote exported exactly once"
