#!/usr/bin/python3
"""The peer of the serve benchmark: the reference PyTorch model behind a minimal Flask app,
one image per request and one forward pass per image, which is how the issue says ML
engineers would wrap the authors' code today.

  serve_peer_flask.py --model DIR [--port 8001] [--threads 2] [--precision bf16|fp32]

POST /v1/predict takes one raw image body and answers {"results": {...}} in the authors'
layout (tests/fixtures/reference_forward.py builds the model and the scores); GET
/health/ready answers 200 once the model is loaded. Flask's own server, threaded (its
default), as `flask run` would start it.
"""
import argparse
import io
import os
import sys

import numpy as np
import torch
from flask import Flask, jsonify, request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures"))
import reference_forward  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--port", type=int, default=8001)
    ap.add_argument("--threads", type=int, default=2)
    # bf16 as in bench/torch_peer.py: Debian's torch runs fp32 on netlib BLAS (minutes per
    # image on this model), and emonet serve picks bf16 on this CPU.
    ap.add_argument("--precision", choices=["bf16", "fp32"], default="bf16")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    _, tower, heads, neutral = reference_forward.load_model(a.model)
    dtype = torch.bfloat16 if a.precision == "bf16" else torch.float32
    tower = tower.to(dtype)
    app = Flask("emonet-peer")

    @app.get("/health/ready")
    def ready():
        return jsonify({"status": "ready"})

    @app.post("/v1/predict")
    def predict():
        try:
            pixels = reference_forward.pil_pixels(io.BytesIO(request.get_data()), a.model)
        except Exception as e:  # noqa: BLE001 - any decode failure is the client's
            return jsonify({"error": f"cannot decode the image: {e}"}), 422
        with torch.inference_mode():
            emb = tower(torch.from_numpy(pixels[None]).to(dtype)).float().numpy()
        return jsonify({"results": reference_forward.score(emb[0].astype(np.float32), heads, neutral)})

    print(f"peer listening {a.port}", flush=True)
    app.run(host="127.0.0.1", port=a.port, threaded=True)


if __name__ == "__main__":
    main()
