#!/usr/bin/python3
"""Checks one benchmark run: no acknowledged vote lost, none duplicated.

  verify.py <acked event ids> <events.jsonl export> <hq.csv export> <connections> <label>

- lost: acknowledged event_ids (from wrk's responses) missing from the export: must be 0;
- duplicated: (image, annotator) pairs that occur twice in hq.csv or events: must be 0;
- unacknowledged: exported events wrk never saw acknowledged; at most one per connection
  (requests in flight when wrk stopped: stored and durable, but wrk dropped the reply).
"""
import csv
import json
import sys

acked_path, events_path, hq_path, connections, label = sys.argv[1:6]
acked = [int(line) for line in open(acked_path) if line.strip()]
events = [json.loads(line) for line in open(events_path) if line.strip()]
exported_ids = {e["event_id"] for e in events}
lost = [i for i in acked if i not in exported_ids]
pairs = [(e["item_id"], e["annotator"]) for e in events]
dup_events = len(pairs) - len(set(pairs))
with open(hq_path, newline="") as f:
    rows = list(csv.reader(f))[1:]
hq_pairs = [(r[0], r[1]) for r in rows]
dup_hq = len(hq_pairs) - len(set(hq_pairs))
ack_dups = len(acked) - len(set(acked))
unacked = len(exported_ids) - len(set(acked))
ok = (not lost and dup_events == 0 and dup_hq == 0 and ack_dups == 0 and
      0 <= unacked <= int(connections) and len(rows) == len(events))
print(f"VERIFY {label} acked={len(acked)} exported_events={len(events)} hq_rows={len(rows)} "
      f"lost={len(lost)} duplicated={dup_events + dup_hq + ack_dups} "
      f"in_flight_at_stop={unacked} {'OK' if ok else 'MISMATCH'}")
sys.exit(0 if ok else 1)
