#!/usr/bin/python3
"""Writes small valid seed inputs for every libFuzzer harness in fuzz/.

usage: /usr/bin/python3 fuzz/make_seeds.py OUT_DIR [harness ...]

Creates OUT_DIR/<harness>/<seed files> (harness names without the _fuzz suffix). Seeds
are generated, never committed: numpy writes the .npy files, torch.save the .pth
containers, PIL the images (with and without an EXIF Orientation tag), and the text
formats are written from Python structures. A fuzz/<name>_seeds.py added by another
module is run as `<python> fuzz/<name>_seeds.py OUT_DIR/<name>` by scripts/fuzz.
"""
import io
import json
import os
import struct
import sys

import numpy as np

GROUPS = {
    "Positive High-Energy Emotions": ["Amusement", "Elation"],
    "Negative High-Energy Emotions": ["Anger", "Fear"],
}


def npy(out):
    for i, arr in enumerate([np.arange(6, dtype="<f4").reshape(2, 3),
                             np.float32(1.5).reshape(()),
                             np.arange(4, dtype="<f8"),
                             np.arange(12, dtype=np.uint8).reshape(3, 4)]):
        buf = io.BytesIO()
        np.save(buf, arr)
        out[f"a{i}.npy"] = buf.getvalue()


def csv(out):
    # The first byte picks the separator (even: ',', odd: tab).
    out["plain.csv"] = b"\x00image,score\nimg_0.png,1.5\nimg_1.png,2\n"
    out["quoted.csv"] = b'\x00a,b\n"x, ""y""",2\r\n"multi\nline",3\n'
    out["tabs.tsv"] = b"\x01a\tb\n1\t2\n"


def annotations(scale):
    d = {}
    for group, names in GROUPS.items():
        for k, name in enumerate(names):
            d[f"{group}|{name}"] = scale * (k + 1)
    return d


def pydict(out):
    out["ints.txt"] = repr(annotations(1)).encode()
    out["floats.txt"] = repr(annotations(0.25)).encode()
    out["mixed.txt"] = b"{'a|b': -1.5e-3, \"c|d\": 7, 'e|f': nan, 'g|h': inf}"


def hq(out):
    rows = ["image,annotator,human,annotations"]
    for img in range(2):
        for ann, human, scale in [("human-1", "True", 1), ("human-2", "True", 2),
                                  ("Random Baseline", "False", 0.5)]:
            cell = repr(annotations(scale)).replace('"', '""')
            rows.append(f'img_{img}.png,{ann},{human},"{cell}"')
    out["hq.csv"] = ("\n".join(rows) + "\n").encode()


def safetensors_bytes(tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    for name, arr in tensors.items():
        raw = arr.tobytes()
        dtype = {"float32": "F32", "float16": "F16", "float64": "F64"}[str(arr.dtype)]
        header[name] = {"dtype": dtype, "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def safetensors(out):
    out["two.safetensors"] = safetensors_bytes(
        {"a.weight": np.arange(6, dtype="<f4").reshape(2, 3),
         "b.bias": np.ones(3, dtype="<f2")}, {"format": "pt"})
    out["scalar.safetensors"] = safetensors_bytes({"s": np.array(2.0, dtype="<f8")})


def pth(out):
    import collections
    import torch
    torch.manual_seed(0)
    sd = collections.OrderedDict()
    sd["0.weight"] = torch.randn(3, 4)
    sd["0.bias"] = torch.randn(3)
    sd["2.weight"] = torch.randn(4, 3).t()  # non-contiguous: strides honoured
    half = torch.randn(2, 2).half()
    for name, obj in [("state.pth", sd), ("plain_dict.pth", {"w": half}),
                      ("parameter.pth", {"p": torch.nn.Parameter(torch.zeros(2))})]:
        buf = io.BytesIO()
        torch.save(obj, buf)
        out[name] = buf.getvalue()


def guide(out):
    g = {"options": {"labels": {"Amusement": ["mirth", "fun"], "Anger": ["rage"]},
                     "buttons": {}}}
    out["small.json"] = json.dumps(g).encode()
    ref = "/work/shared/reference/guide.json"
    if os.path.exists(ref):  # the authors' file, when this machine has it
        with open(ref, "rb") as f:
            out["authors.json"] = f.read()


def image(out):
    from PIL import Image
    rng = np.random.default_rng(1)
    img = Image.fromarray(rng.integers(0, 255, (12, 16, 3), dtype=np.uint8), "RGB")
    for fmt, kw in [("JPEG", {"quality": 80}), ("PNG", {}), ("WEBP", {"quality": 80}),
                    ("WEBP", {"lossless": True})]:
        buf = io.BytesIO()
        img.save(buf, fmt, **kw)
        out[f"img{len(out)}.{fmt.lower()}"] = buf.getvalue()
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90
    for fmt in ["JPEG", "PNG", "WEBP"]:
        buf = io.BytesIO()
        img.save(buf, fmt, exif=exif.tobytes())
        out[f"exif{len(out)}.{fmt.lower()}"] = buf.getvalue()
    gray = Image.fromarray(rng.integers(0, 255, (8, 8), dtype=np.uint8), "L")
    buf = io.BytesIO()
    gray.save(buf, "PNG")
    out["gray.png"] = buf.getvalue()
    buf = io.BytesIO()
    img.convert("P").save(buf, "PNG", transparency=0)
    out["palette.png"] = buf.getvalue()


def jsonl(out):
    # First byte: bit 0 = ground truth from the "label" field, bit 1 = label index.
    lines = []
    for i, (name, label) in enumerate([("0000_Happy.jpg", 1), ("0001_Angry.jpg", 0)]):
        rec = {"image_path": f"ferd_images/{name}", "label": label, "results": {
            head: {"raw": 0.1 * k, "mean_subtracted": 0.05 * (k - i), "softmax": 0.2}
            for k, head in enumerate(["model_anger_best", "model_elation_best",
                                      "model_fear_best", "model_pride_best"])}}
        lines.append(json.dumps(rec))
    text = ("\n".join(lines) + "\n").encode()
    out["by_name.jsonl"] = b"\x00" + text
    out["by_label.jsonl"] = b"\x01" + text
    out["by_index.jsonl"] = b"\x03" + text


def annotate_body(out):
    out["intensity.json"] = json.dumps(
        {"ratings": {"Anger": 3, "Amusement": 0}, "no_emotion": False}).encode()
    out["none.json"] = json.dumps({"ratings": {}, "no_emotion": True}).encode()
    out["binary.json"] = json.dumps({"present": True}).encode()
    out["compare.json"] = json.dumps({"choice": "left", "emotions": ["anger"]}).encode()
    out["form.txt"] = b"username=alice&password=p%40ss+word&next=%2Fprojects&count=3"
    out["params.txt"] = b"offset=0&limit=100&format=csv"


def http_request(out):
    # First byte: how the bytes arrive (0: one read, n: chunks of n bytes).
    login = (b"POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
             b"\r\nContent-Length: 40\r\n\r\n" + b'{"username": "ann", "password": "x"}    ')
    out["login.http"] = b"\x00" + login
    out["split.http"] = b"\x03" + login
    out["pipelined.http"] = b"\x07" + (
        b"GET /api/projects/1/next?count=2 HTTP/1.1\r\nHost: a\r\nCookie: s=1\r\n\r\n"
        b"GET /static/app.css?v=abc HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    out["chunked.http"] = b"\x05" + (
        b"POST /api/projects/1/items/2/answer HTTP/1.1\r\nHost: a\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n: 1\r\n1\r\n}\r\n0\r\n\r\n")
    out["form.http"] = b"\x01" + (
        b"POST /login HTTP/1.0\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 31\r\nExpect: 100-continue\r\n\r\nusername=a%20b&password=p+q&x")


GENERATORS = {"npy": npy, "csv": csv, "pydict": pydict, "hq": hq,
              "safetensors": safetensors, "pth": pth, "guide": guide, "image": image,
              "jsonl": jsonl, "annotate_body": annotate_body, "http_request": http_request}


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    root = sys.argv[1]
    wanted = sys.argv[2:] or sorted(GENERATORS)
    for name in wanted:
        if name not in GENERATORS:
            continue  # a harness whose seeds come from its own <name>_seeds.py, or none
        out = {}
        GENERATORS[name](out)
        os.makedirs(os.path.join(root, name), exist_ok=True)
        for file, data in out.items():
            with open(os.path.join(root, name, file), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
