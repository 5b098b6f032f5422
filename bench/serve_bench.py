#!/usr/bin/python3
"""Serve benchmark driver (run it through bench/serve_bench.sh, which holds the bench lock).

  serve_bench.py --emonet BIN --model DIR --work DIR [--levels 1,4,16,64] [--peer]

1. Offline: `emonet predict --batch 1` and `--batch 8` over the same JPEGs, timing each
   JSONL line as it arrives (predict flushes every record): the median gap between
   batch-1 lines is the single-image compute time (decode + preprocess + forward +
   heads), the span of the batch-8 bursts after the first gives the offline throughput.
2. `emonet serve` on loopback (defaults: --max-batch 8 --max-delay-ms 5), then the load
   generator: at each concurrency C, C client threads with keep-alive connections post
   one JPEG per request (Content-Type image/jpeg) until the level's request count is
   issued; images/s = answered / span, p50/p99 latency per request, mean batch size from
   /metrics (delta of emonet_batch_size_images_sum / _count over the level).
3. The peer (bench/serve_peer_flask.py, PyTorch + Flask, one image per forward pass)
   under the same load generator, levels stopped once one takes longer than --peer-cap.
Prints one JSON object per measurement and a summary object last.
"""
import argparse
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def emit(obj):
    print(json.dumps(obj), flush=True)


def make_images(work, count):
    from PIL import Image, ImageDraw
    import random
    rng = random.Random(7)
    paths = []
    os.makedirs(os.path.join(work, "images"), exist_ok=True)
    for i in range(count):
        im = Image.new("RGB", (640, 480), tuple(rng.randrange(256) for _ in range(3)))
        d = ImageDraw.Draw(im)
        for _ in range(12):
            x, y = rng.randrange(600), rng.randrange(440)
            d.ellipse((x, y, x + rng.randrange(20, 200), y + rng.randrange(20, 200)),
                      fill=tuple(rng.randrange(256) for _ in range(3)))
        p = os.path.join(work, "images", f"img_{i:03d}.jpg")
        im.save(p, quality=90)
        paths.append(p)
    return paths


def line_times(cmd):
    """Runs cmd, returns the arrival time of each stdout line and the lines."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    times, lines = [], []
    for line in iter(proc.stdout.readline, ""):
        times.append(time.perf_counter())
        lines.append(line)
    err = proc.stderr.read()
    if proc.wait() != 0:
        sys.exit(f"{' '.join(cmd)} failed: {err}")
    return times, lines


def offline(emonet, model, images, batch1_n, batch8_n, threads):
    base = [emonet, "--quiet", "predict", "--model", model, "--threads", str(threads), "--format", "jsonl"]
    t, lines = line_times(base + ["--batch", "1"] + images[:batch1_n])
    # Each image's batch-1 results: the served answers (batched with others) must equal them.
    expected = {i: json.loads(line)["results"] for i, line in enumerate(lines)}
    gaps = [b - a for a, b in zip(t, t[1:])]
    single = statistics.median(gaps)
    emit({"measure": "offline_batch1", "images": batch1_n, "gaps_s": [round(g, 4) for g in gaps],
          "single_image_s": single})
    imgs = (images * ((batch8_n + len(images) - 1) // len(images)))[:batch8_n]
    t, _ = line_times(base + ["--batch", "8"] + imgs)
    # Records of one batch arrive together; measure from the end of the first burst (the
    # model load and the first batch's warm-up excluded) to the end of the last.
    ends = [t[i] for i in range(7, len(t), 8)]
    rate = 8 * (len(ends) - 1) / (ends[-1] - ends[0])
    emit({"measure": "offline_batch8", "images": batch8_n, "images_per_s": rate,
          "batch_spans_s": [round(b - a, 3) for a, b in zip(ends, ends[1:])]})
    return single, rate, expected


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path, timeout=10):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


def wait_ready(port, proc, limit_s):
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"server exited early ({proc.returncode})")
        try:
            if get(port, "/health/ready")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit(f"server on port {port} not ready after {limit_s} s")


def batch_totals(port):
    _, text = get(port, "/metrics")
    s = re.search(r"^emonet_batch_size_images_sum(?:\{\})? (\S+)$", text, re.M)
    c = re.search(r"^emonet_batch_size_images_count(?:\{\})? (\S+)$", text, re.M)
    return (float(s.group(1)), float(c.group(1))) if s and c else (None, None)


def load(port, blobs, concurrency, requests, timeout_s, expected=None):
    """Closed loop: `concurrency` threads post until `requests` were issued. With
    `expected` (blob index -> offline batch-1 results), counts answers that differ."""
    lock = threading.Lock()
    issued = [0]
    latencies, errors = [], []
    compared = [0, 0]  # answers checked against `expected`, of which differing

    def worker(k):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
        while True:
            with lock:
                if issued[0] >= requests:
                    break
                n = issued[0]
                issued[0] += 1
            index = (n + k) % len(blobs)
            body = blobs[index]
            start = time.perf_counter()
            try:
                conn.request("POST", "/v1/predict", body=body, headers={"Content-Type": "image/jpeg"})
                r = conn.getresponse()
                data = r.read()
                ok = r.status == 200 and b'"results"' in data
            except OSError as e:
                ok, data = False, str(e).encode()
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
            end = time.perf_counter()
            if ok and expected and index in expected:
                same = json.loads(data)["results"] == expected[index]
                with lock:
                    compared[0] += 1
                    compared[1] += 0 if same else 1
            with lock:
                (latencies if ok else errors).append((end - start) if ok else data[:200].decode(errors="replace"))
        conn.close()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    span = time.perf_counter() - t0
    lat = sorted(latencies)

    def pct(q):
        return lat[min(len(lat) - 1, int(q * len(lat)))] if lat else None

    return {"requests": requests, "answered": len(lat), "errors": len(errors), "error_sample": errors[:2],
            "span_s": span, "images_per_s": len(lat) / span, "p50_s": statistics.median(lat) if lat else None,
            "p99_s": pct(0.99), "max_s": lat[-1] if lat else None,
            "compared_with_batch1": compared[0], "differing_from_batch1": compared[1]}


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def peak_rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            m = re.search(r"VmHWM:\s+(\d+) kB", f.read())
        return int(m.group(1)) / 1024 if m else None
    except OSError:
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--emonet", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--levels", default="1,4,16,64")
    ap.add_argument("--requests", default="4,8,16,64", help="requests per level (emonet)")
    ap.add_argument("--peer-requests", default="2,4,16,64", help="requests per level (peer)")
    ap.add_argument("--peer-cap", type=float, default=150.0, help="skip further peer levels after one this long")
    ap.add_argument("--peer", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--single-images", type=int, default=8,
                    help="images of the offline batch-1 run (compute time, reference answers)")
    a = ap.parse_args()
    levels = [int(x) for x in a.levels.split(",")]
    counts = dict(zip(levels, (int(x) for x in a.requests.split(","))))
    peer_counts = dict(zip(levels, (int(x) for x in a.peer_requests.split(","))))
    images = make_images(a.work, 16)
    blobs = [open(p, "rb").read() for p in images]
    emit({"measure": "machine", "load_avg": os.getloadavg(), "cpus": os.cpu_count()})

    single, offline_rate, expected = offline(a.emonet, a.model, images, a.single_images, 24,
                                             a.threads)

    port = free_port()
    log = open(os.path.join(a.work, "serve.log"), "w")
    server = subprocess.Popen([a.emonet, "serve", "--model", a.model, "--listen", f"127.0.0.1:{port}",
                               "--threads", str(a.threads), "--queue", "1024", "--timeout-ms", "600000"],
                              stdout=log, stderr=subprocess.STDOUT)
    wait_ready(port, server, 300)
    load(port, blobs, 2, 2, 600)  # warm-up: first forward passes allocate their buffers
    results = {}
    for c in levels:
        s0, n0 = batch_totals(port)
        r = load(port, blobs, c, max(c, counts[c]), 600, expected)
        s1, n1 = batch_totals(port)
        r["mean_batch"] = (s1 - s0) / (n1 - n0) if n0 is not None and n1 > n0 else None
        r.update({"server": "emonet", "concurrency": c, "load_avg": os.getloadavg()})
        results[("emonet", c)] = r
        emit(r)
    rss = peak_rss_mib(server.pid)
    code = stop(server)
    emit({"measure": "emonet_serve_exit", "code": code, "peak_rss_mib": rss})

    if a.peer:
        pport = free_port()
        plog = open(os.path.join(a.work, "peer.log"), "w")
        peer = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "serve_peer_flask.py"), "--model", a.model,
                                 "--port", str(pport), "--threads", str(a.threads)],
                                stdout=plog, stderr=subprocess.STDOUT)
        wait_ready(pport, peer, 300)
        load(pport, blobs, 1, 1, 900)
        for c in levels:
            r = load(pport, blobs, c, max(c, peer_counts[c]), 900)
            r.update({"server": "peer", "concurrency": c, "load_avg": os.getloadavg()})
            results[("peer", c)] = r
            emit(r)
            if r["span_s"] > a.peer_cap:
                emit({"measure": "peer_stopped", "after_concurrency": c, "span_s": r["span_s"]})
                break
        stop(peer)

    summary = {"measure": "summary", "single_image_s": single, "offline_batch8_images_per_s": offline_rate}
    c16 = results.get(("emonet", 16))
    if c16:
        summary["c16_vs_offline"] = c16["images_per_s"] / offline_rate
        summary["target_c16_met"] = c16["images_per_s"] >= 0.9 * offline_rate
    c1 = results.get(("emonet", 1))
    if c1:
        summary["c1_p50_minus_single_ms"] = 1000 * (c1["p50_s"] - single)
        summary["target_c1_met"] = c1["p50_s"] <= single + 0.005
    summary["served_differing_from_batch1"] = sum(
        r.get("differing_from_batch1", 0) for (srv, _), r in results.items() if srv == "emonet")
    summary["served_compared_with_batch1"] = sum(
        r.get("compared_with_batch1", 0) for (srv, _), r in results.items() if srv == "emonet")
    for c in levels:
        e, p = results.get(("emonet", c)), results.get(("peer", c))
        if e and p and p["answered"]:
            summary[f"ratio_c{c}"] = e["images_per_s"] / p["images_per_s"]
    summary["load_avg_end"] = os.getloadavg()
    emit(summary)


if __name__ == "__main__":
    main()
