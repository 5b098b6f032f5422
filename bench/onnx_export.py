#!/usr/bin/python3
"""Exports a model directory (DIR/siglip + DIR/heads) to ONNX for the ONNX Runtime peer of
bench/engine_bench: the same PyTorch reference the engine is tested against
(tests/fixtures/reference_forward.py), so ONNX Runtime runs exactly our weights and graph.

  onnx_export.py --model DIR --out FILE.onnx

Graph: pixels [batch, 3, S, S] float32 -> vision tower (pooler_output) -> L2
normalisation (a / max(|a|, tiny), as the engine) -> the 44 head MLPs -> raw [batch, 44]
(heads in file-name order). The batch axis is dynamic. Uses torch.onnx.export of Debian's
torch; its exporter writes the protobuf itself, so the `onnx` Python module is not needed.
The full-size Large model (tower + 44 heads, fp32) is one 2.04 GB file, just under protobuf's
2 GiB limit; over it torch would write external data files next to FILE.onnx, so give each
export a folder of its own. Tracing runs one fp32 forward pass in Debian's torch (netlib
BLAS: minutes of CPU for the full model).
"""
import argparse
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures"))
import reference_forward  # noqa: E402


class Pipeline(nn.Module):
    def __init__(self, tower, heads):
        super().__init__()
        self.tower = tower
        self.heads = nn.ModuleList(h.layers for h in heads.values())

    def forward(self, pixels):
        e = self.tower(pixels)
        e = e / torch.clamp(torch.linalg.vector_norm(e, dim=-1, keepdim=True), min=1e-30)
        return torch.cat([h(e) for h in self.heads], dim=-1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    c, tower, heads, _ = reference_forward.load_model(a.model)
    net = Pipeline(tower, heads).eval()
    size = c["image_size"]
    x = torch.zeros(1, 3, size, size)
    with torch.inference_mode():
        torch.onnx.export(net, (x,), a.out, input_names=["pixels"], output_names=["raw"],
                          dynamic_axes={"pixels": {0: "batch"}, "raw": {0: "batch"}},
                          opset_version=14, do_constant_folding=True)
    print(f"{a.out}: {len(heads)} heads, image {size}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
