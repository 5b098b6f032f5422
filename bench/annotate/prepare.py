#!/usr/bin/python3
"""Set-up for the annotation-server load benchmark (bench/annotate/run.sh).

  prepare.py db <emonet> <workdir> <experts> <items>
      images (tiny PNGs), an admin, <experts> expert accounts and one intensity project
      with <items> items and overlap 4, in <workdir>/base.sqlite.
  prepare.py sessions <url> <experts> <out>
      logs every expert in through POST /api/login and writes "cookie csrf" lines.
"""
import concurrent.futures
import http.client
import json
import os
import subprocess
import sys
import urllib.parse

PASSWORD = "bench-password-1"
# A valid 1x1 grey PNG: the benchmark measures the API, not image transfer.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010800000000"
    "3a7e9b550000000a49444154789c636800000082008177cd72b60000000049454e44ae426082")


def make_db(emonet, workdir, experts, items):
    images = os.path.join(workdir, "images")
    os.makedirs(images, exist_ok=True)
    for i in range(items):
        with open(os.path.join(images, f"face_{i:05d}.png"), "wb") as f:
            f.write(PNG)
    db = os.path.join(workdir, "base.sqlite")
    for path in (db, db + "-wal", db + "-shm"):
        if os.path.exists(path):
            os.remove(path)

    def add(name, admin=False):
        args = [emonet, "annotate", "add-user", "--db", db, name] + (["--admin"] if admin else [])
        subprocess.run(args, input=PASSWORD + "\n", text=True, check=True,
                       stderr=subprocess.DEVNULL)

    add("admin", admin=True)
    # Two at a time: Argon2id is deliberately slow and the machine has two cores.
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        list(pool.map(add, [f"expert{i:03d}" for i in range(experts)]))
    subprocess.run([emonet, "annotate", "create-project", "--db", db, "bench", "--images", images,
                    "--overlap", "4"], check=True, stdout=subprocess.DEVNULL)


def login(url, name):
    parsed = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
    conn.request("POST", "/api/login", json.dumps({"username": name, "password": PASSWORD}),
                 {"Content-Type": "application/json"})
    response = conn.getresponse()
    body = json.loads(response.read())
    if response.status != 200:
        raise SystemExit(f"login {name}: HTTP {response.status} {body}")
    cookie = None
    for header, value in response.getheaders():
        if header.lower() == "set-cookie" and value.startswith("emonet_session="):
            cookie = value.split(";", 1)[0].split("=", 1)[1]
    if not cookie:
        raise SystemExit(f"login {name}: no emonet_session cookie")
    return f"{cookie} {body['csrf_token']}"


def make_sessions(url, experts, out):
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        lines = list(pool.map(lambda i: login(url, f"expert{i:03d}"), range(experts)))
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    if sys.argv[1] == "db":
        make_db(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif sys.argv[1] == "sessions":
        make_sessions(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        raise SystemExit(__doc__)
