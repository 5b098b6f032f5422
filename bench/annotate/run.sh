#!/usr/bin/env bash
# Load benchmark of `emonet annotate serve` (SQLite): simulated experts on loopback, each
# fetching its next item and submitting a rating as fast as the server answers, against
# an intensity project. Not a test: results go to docs/PERFORMANCE.md.
#
#   bench/annotate/run.sh [emonet binary] [seconds per run] [runs]
#   EXPERTS=200 ITEMS=20000 THREADS=<server --threads> WORK=<dir to reuse> bench/annotate/run.sh
#   NOSYNC=1 ...   diagnostic: the server without fsync (how much time is the durable commit)
#   CLIENT=wrk ... the load from wrk + experts.lua instead of experts.cpp (see below)
#   RATE=5000 ...  open loop: 5,000 submissions/s offered in all, latency counted from when
#                  each submission was due (default 0: closed loop, as fast as answered)
#   ANSWER_NEXT=1  each answer also leases the next item ("next": 1), one request per vote
#   PERF=1 ...     diagnostic: perf record of the server during each run
#
# Set-up (once per WORK dir, outside the measurement): images, users, the project, and one
# session per expert (logged in through POST /api/login; the sessions live in the
# database, so every run starts from a copy of the same prepared database). Each run then
# runs the load client (experts.cpp; CLIENT=wrk: wrk + experts.lua) for the given time, stops the server, exports, and verify.py checks that every
# acknowledged submission is in the export exactly once.
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

pick_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Starts the server on database $1 (extra env/args from the arrays below); sets $server, $url.
preload=()
start_server() {
  local db="$1" log="$2" port
  port="$(pick_port)"
  local extra=()
  [[ -n "$server_threads" ]] && extra=(--threads "$server_threads")
  "${preload[@]}" "$emonet" --quiet annotate serve --db "$db" --listen "127.0.0.1:$port" \
    "${extra[@]}" >"$log.out" 2>"$log.err" &
  server=$!
  url="http://127.0.0.1:$port"
  for _ in $(seq 200); do
    grep -q listening "$log.out" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "server did not start; see $log.err" >&2
  exit 1
}
stop_server() {
  kill -TERM "$server"
  wait "$server" || true
}

if [[ ! -f "$work/base.sqlite" ]]; then
  echo "preparing $experts experts and $items items (Argon2id hashing takes a while)..."
  /usr/bin/python3 "$here/prepare.py" db "$emonet" "$work" "$experts" "$items"
fi
if [[ ! -f "$work/sessions.txt" ]]; then
  echo "logging $experts experts in..."
  start_server "$work/base.sqlite" "$work/login"
  /usr/bin/python3 "$here/prepare.py" sessions "$url" "$experts" "$work/sessions.txt"
  curl -s -b "emonet_session=$(head -1 "$work/sessions.txt" | cut -d' ' -f1)" "$url/api/projects" |
    /usr/bin/python3 -c 'import json,sys; print(next(p["id"] for p in json.load(sys.stdin)["projects"] if p["name"]=="bench"))' \
    >"$work/project_id.txt"
  stop_server
fi
project_id="$(cat "$work/project_id.txt")"

rm -f "$work/verify.txt" "$work"/wrk*.txt "$work"/acked*.txt
if [[ "${NOSYNC:-0}" == 1 ]]; then
  # Diagnostic: no fsync at all (see nosync.c); results are not durable.
  cc -shared -fPIC -O2 -o "$work/nosync.so" "$here/nosync.c"
  preload=(env LD_PRELOAD="$work/nosync.so")
  echo "NOSYNC=1: fsync disabled in the server (diagnostic, not durable)"
fi

# The load client: experts.cpp (one thread, epoll) by default; CLIENT=wrk runs the same
# experts as wrk threads with experts.lua (one wrk thread per expert: on a 2-core machine
# the 200 client threads take about as much CPU as the server).
client="${CLIENT:-epoll}"
if [[ "$client" != wrk ]]; then
  c++ -O2 -std=c++17 -o "$work/experts" "$here/experts.cpp"
fi

perf_pid=""
for run in $(seq 1 "$runs"); do
  db="$work/run$run.sqlite"
  rm -f "$db" "$db-wal" "$db-shm"
  cp "$work/base.sqlite" "$db"
  start_server "$db" "$work/server$run"
  if [[ "${PERF:-0}" == 1 ]]; then
    # Diagnostic: where the server's CPU time goes (perf report -i $work/perf$run.data).
    perf record -F 499 -g -o "$work/perf$run.data" -p "$server" -- sleep "$seconds" \
      >/dev/null 2>&1 &
    perf_pid=$!
  fi
  if [[ "$client" == wrk ]]; then
    EMONET_SESSIONS="$work/sessions.txt" EMONET_PROJECT="$project_id" \
      EMONET_ACKED_OUT="$work/acked$run.txt" \
      wrk -t "$experts" -c "$experts" -d "${seconds}s" --timeout 10s --latency \
      -s "$here/experts.lua" "$url" | tee "$work/wrk$run.txt"
  else
    head -n "$experts" "$work/sessions.txt" >"$work/sessions-used.txt"
    "$work/experts" 127.0.0.1 "${url##*:}" "$work/sessions-used.txt" "$project_id" "$seconds" \
      "$work/acked$run.txt" "${RATE:-0}" "${ANSWER_NEXT:-0}" | tee "$work/wrk$run.txt"
  fi
  # The server's own CPU time (user + system), to tell CPU cost from waiting.
  read -r -a stat <"/proc/$server/stat"
  ticks=$(getconf CLK_TCK)
  requests=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' "$work/wrk$run.txt")
  /usr/bin/python3 -c "u,s,t,r=$((stat[13])),$((stat[14])),$ticks,$requests; print(f'SERVER_CPU user_s={u/t:.2f} system_s={s/t:.2f} cpu_ms_per_request={1000*(u+s)/t/max(r,1):.2f}')" |
    tee -a "$work/wrk$run.txt"
  [[ -n "${perf_pid:-}" ]] && wait "$perf_pid"
  stop_server
  # How many writes shared each commit (printed by the server when it stops).
  grep -h '^stopped' "$work/server$run.out" | tee -a "$work/wrk$run.txt" || true
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
if grep -q MISMATCH "$work/verify.txt"; then
  echo "LOST OR DUPLICATED VOTES"
  exit 1
fi
echo "all runs: every acknowledged vote exported exactly once"
