#!/usr/bin/python3
"""Checks the deployment files of `emonet serve` against each other and the real server.

  check_deploy.py REPO_ROOT [EMONET MODEL_DIR]

Parses deploy/k8s/*.yaml (PyYAML) and deploy/docker/Dockerfile and checks that they agree:
the probes and the Prometheus scrape path, the container port, the listen address in the
arguments, the Service's selector and target port, the HPA's target, the model volume,
the non-root user. With EMONET and MODEL_DIR it then starts the real `emonet serve` on a
free loopback port and checks that every path the files point at exists there: the
liveness path answers 200 at once, the readiness path 200 once the model is loaded, the
scrape path Prometheus text, and /openapi.json documents them all. Exits 1 on the first
failed check, with its reason.
"""
import glob
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import yaml

ROOT = sys.argv[1]


def check(condition, message):
    if not condition:
        print(f"FAIL: {message}", file=sys.stderr)
        sys.exit(1)


# ---- Kubernetes manifests ------------------------------------------------------------------
docs = []
for path in sorted(glob.glob(os.path.join(ROOT, "deploy/k8s/*.yaml"))):
    with open(path) as f:
        for doc in yaml.safe_load_all(f):
            if doc:
                doc["__file"] = os.path.relpath(path, ROOT)
                docs.append(doc)
by_kind = {}
for doc in docs:
    by_kind.setdefault(doc["kind"], []).append(doc)
for kind in ("Deployment", "Service", "HorizontalPodAutoscaler", "PersistentVolumeClaim"):
    check(len(by_kind.get(kind, [])) == 1, f"exactly one {kind} in deploy/k8s")

kustomization = by_kind.get("Kustomization", [None])[0]
if kustomization:
    listed = set(kustomization["resources"])
    files = {os.path.basename(d["__file"]) for d in docs if d["kind"] != "Kustomization"}
    check(listed == files, f"kustomization.yaml lists every manifest: {sorted(listed ^ files)}")

deployment = by_kind["Deployment"][0]
pod = deployment["spec"]["template"]
check(deployment["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items(),
      "Deployment selector matches its pod labels")
(container,) = pod["spec"]["containers"]
ports = {p["name"]: p["containerPort"] for p in container["ports"]}
check("http" in ports, "the container names its port http")
port = ports["http"]

args = container["args"]
check(args[0] == "serve", "the container runs `emonet serve`")
listen = args[args.index("--listen") + 1]
check(listen.endswith(f":{port}") and not listen.startswith("127."),
      f"--listen {listen} binds all interfaces on the container port {port}")
model_arg = args[args.index("--model") + 1]


def probe_port(probe):
    p = probe["httpGet"]["port"]
    return ports[p] if isinstance(p, str) else p


live = container["livenessProbe"]["httpGet"]["path"]
ready = container["readinessProbe"]["httpGet"]["path"]
check(live == "/health/live", f"liveness probe path {live}")
check(ready == "/health/ready", f"readiness probe path {ready}")
for name in ("livenessProbe", "readinessProbe"):
    check(probe_port(container[name]) == port, f"{name} targets the container port")

annotations = pod["metadata"]["annotations"]
check(annotations.get("prometheus.io/scrape") == "true", "pods carry prometheus.io/scrape: \"true\"")
check(annotations.get("prometheus.io/port") == str(port), "prometheus.io/port is the container port")
scrape = annotations.get("prometheus.io/path")
check(scrape == "/metrics", f"prometheus.io/path {scrape}")

resources = container["resources"]
check("cpu" in resources["requests"] and "memory" in resources["requests"], "cpu and memory requests")
check("memory" in resources["limits"], "a memory limit")

mounts = {m["name"]: m for m in container["volumeMounts"]}
volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
model_mount = [m for m in mounts.values() if m["mountPath"] == model_arg]
check(len(model_mount) == 1 and model_mount[0].get("readOnly"), f"--model {model_arg} is a read-only mount")
model_volume = volumes[model_mount[0]["name"]]
pvc = by_kind["PersistentVolumeClaim"][0]
check(model_volume["persistentVolumeClaim"]["claimName"] == pvc["metadata"]["name"],
      "the model volume is the PersistentVolumeClaim in deploy/k8s")
security = pod["spec"]["securityContext"]
check(security.get("runAsNonRoot") is True and security.get("runAsUser", 0) != 0, "pods run as non-root")

service = by_kind["Service"][0]
check(service["spec"]["selector"].items() <= pod["metadata"]["labels"].items(), "Service selects the pods")
check(all(p["targetPort"] in (port, "http") for p in service["spec"]["ports"]), "Service targets the http port")

hpa = by_kind["HorizontalPodAutoscaler"][0]
target = hpa["spec"]["scaleTargetRef"]
check(target["kind"] == "Deployment" and target["name"] == deployment["metadata"]["name"],
      "HPA scales the Deployment")
check(1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"], "HPA replica bounds")

# ---- Dockerfile ---------------------------------------------------------------------------------
with open(os.path.join(ROOT, "deploy/docker/Dockerfile")) as f:
    lines = [line.strip() for line in re.sub(r"\\\n", " ", f.read()).splitlines()]
instructions = [line.split(None, 1) for line in lines if line and not line.startswith("#")]
args_default = {k: v for op, rest in instructions if op == "ARG" and "=" in rest for k, v in [rest.split("=", 1)]}


def expand(text):
    return re.sub(r"\$\{(\w+)\}", lambda m: args_default.get(m.group(1), m.group(0)), text)


stages = [expand(rest).split()[0] for op, rest in instructions if op == "FROM"]
check(len(stages) >= 2, "multi-stage Dockerfile")
check(all(s.startswith("debian:12") or s.startswith("debian:bookworm") for s in stages),
      f"Debian 12 base images: {stages}")
final = instructions[max(i for i, (op, _) in enumerate(instructions) if op == "FROM"):]
users = [rest for op, rest in final if op == "USER"]
check(users and users[-1].split(":")[0] not in ("0", "root"), "the runtime stage runs as a non-root user")
check(users[-1].split(":")[0] == str(security["runAsUser"]), "Dockerfile USER = the pods' runAsUser")
volumes_df = " ".join(rest for op, rest in final if op == "VOLUME")
check(model_arg in volumes_df, f"VOLUME {model_arg} in the runtime stage")
check(any(op == "EXPOSE" and str(port) in rest.split() for op, rest in final), f"EXPOSE {port}")
health = [rest for op, rest in final if op == "HEALTHCHECK"]
check(health and f"127.0.0.1:{port}/health/live" in health[0], "HEALTHCHECK requests /health/live")
cmd = [rest for op, rest in final if op == "CMD"]
check(cmd and json.loads(cmd[-1])[0] == "serve", "the image's CMD is `serve`")
with open(os.path.join(ROOT, ".dockerignore")) as f:
    ignored = f.read().split()
check("build*/" in ignored and ".git/" in ignored, ".dockerignore keeps build trees and .git out")
print(f"deploy files consistent: probes {live} {ready}, scrape {scrape}, port {port}, "
      f"model {model_arg}, {len(stages)} Debian 12 stages")

# ---- The real server answers on those paths ------------------------------------------------
if len(sys.argv) < 4:
    sys.exit(0)
emonet, model_dir = sys.argv[2], sys.argv[3]
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    free = s.getsockname()[1]
base = f"http://127.0.0.1:{free}"
# The image's arguments, with the model and the address swapped for this machine's.
serve_args = [a for a in args]
serve_args[serve_args.index("--model") + 1] = model_dir
serve_args[serve_args.index("--listen") + 1] = f"127.0.0.1:{free}"
serve_args[serve_args.index("--threads") + 1] = "1"
log = open(os.path.join(os.getcwd(), "serve_deploy_server.log"), "w")
print("starting:", shlex.join([emonet] + serve_args))
server = subprocess.Popen([emonet] + serve_args, stdout=log, stderr=subprocess.STDOUT)


def get(path):
    try:
        with urllib.request.urlopen(base + path, timeout=10) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


try:
    status = None
    for _ in range(200):  # the server listens at once; give it 20 s to bind on a loaded machine
        check(server.poll() is None, f"emonet serve exited early ({server.returncode}); see serve_deploy_server.log")
        try:
            status = get(live)[0]
            break
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    check(status == 200, f"GET {live} answers {status}")
    for _ in range(600):  # readiness: 503 while the model loads, at most 60 s
        status, ctype, body = get(ready)
        if status == 200:
            break
        check(status == 503, f"GET {ready} while loading answers {status} (503 expected)")
        time.sleep(0.1)
    check(status == 200, f"GET {ready} never answered 200")
    status, ctype, body = get(scrape)
    check(status == 200 and ctype.startswith("text/plain") and "# TYPE " in body,
          f"GET {scrape}: {status} {ctype}, Prometheus text expected")
    status, _, body = get("/openapi.json")
    check(status == 200, f"GET /openapi.json answers {status}")
    documented = json.loads(body).get("paths", {})
    for path in (live, ready, scrape):
        check(path in documented, f"{path} documented in /openapi.json")
    print(f"the server answers {live} 200, {ready} 200, {scrape} Prometheus text; all in /openapi.json")
finally:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    log.close()
