#!/usr/bin/python3
"""Independent check of `emonet data pack` output with Python's tarfile and csv modules.

usage: check_pack.py DATASET_DIR SHARDS_DIR SHARD_LIMIT_BYTES
Exits non-zero with a message on the first difference: every metadata.csv row must be a
sample (in order, 9-digit keys), its image byte-identical, its JSON the row as an object.
"""
import csv
import json
import os
import sys
import tarfile


def fail(msg):
    print("check_pack: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    data, shards, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(os.path.join(data, "metadata.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    index = json.load(open(os.path.join(shards, "index.json"), encoding="utf-8"))
    if index.get("format") != "emonet-webdataset-1":
        fail("format %r" % index.get("format"))
    if index["samples"] != len(rows):
        fail("index says %d samples, metadata has %d" % (index["samples"], len(rows)))
    names = sorted(n for n in os.listdir(shards) if n != "index.json")
    expected = ["%05d.tar" % i for i in range(len(index["shards"]))]
    if names != expected:
        fail("files %r, expected %r" % (names, expected))
    n = 0
    for entry in index["shards"]:
        path = os.path.join(shards, entry["name"])
        if os.path.getsize(path) != entry["bytes"]:
            fail("%s: size %d, index %d" % (entry["name"], os.path.getsize(path), entry["bytes"]))
        if entry["samples"] > 1 and entry["bytes"] > limit:
            fail("%s: %d bytes over the limit %d" % (entry["name"], entry["bytes"], limit))
        with tarfile.open(path) as tar:
            members = tar.getmembers()
            if len(members) != 2 * entry["samples"]:
                fail("%s: %d members for %d samples" % (entry["name"], len(members), entry["samples"]))
            for i in range(0, len(members), 2):
                key = "%09d" % n
                img, js = members[i], members[i + 1]
                row = rows[n]
                ext = os.path.splitext(row["file_name"])[1].lower().lstrip(".")
                ext = "jpg" if ext == "jpeg" else ext
                if img.name != key + "." + ext or js.name != key + ".json":
                    fail("members %s, %s for key %s" % (img.name, js.name, key))
                if i == 0 and entry["first_key"] != key:
                    fail("first_key %s != %s" % (entry["first_key"], key))
                with open(os.path.join(data, row["file_name"]), "rb") as f:
                    if tar.extractfile(img).read() != f.read():
                        fail("%s: bytes differ from %s" % (img.name, row["file_name"]))
                meta = json.loads(tar.extractfile(js).read().decode("utf-8"))
                if meta != row:
                    fail("%s: %r != row %r" % (js.name, meta, row))
                n += 1
            if entry["last_key"] != "%09d" % (n - 1):
                fail("last_key %s" % entry["last_key"])
    if n != len(rows):
        fail("%d samples in shards, %d rows" % (n, len(rows)))
    print("check_pack: %d samples in %d shards identical" % (n, len(index["shards"])))


main()
