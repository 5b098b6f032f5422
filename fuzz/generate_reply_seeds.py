#!/usr/bin/python3
"""Seeds for fuzz/generate_reply_fuzz.cpp: text-to-image server replies and a workflow."""
import base64
import json
import os
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
img = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()
seeds = {
    "comfy_queued.json": json.dumps({"prompt_id": "p1", "number": 3, "node_errors": {}}),
    "comfy_history.json": json.dumps({"p1": {"outputs": {"9": {"images": [
        {"filename": "emonet_00001_.png", "subfolder": "", "type": "output"}]}},
        "status": {"status_str": "success", "completed": True}}}),
    "comfy_error.json": json.dumps({"p1": {"status": {"status_str": "error", "messages": []}}}),
    "a1111.json": json.dumps({"images": [img], "parameters": {}, "info": "{}"}),
    "openai.json": json.dumps({"created": 1, "data": [{"b64_json": img}]}),
    "workflow.json": json.dumps({"3": {"inputs": {"seed": "{seed}"}},
                                 "6": {"inputs": {"text": "{prompt}"}}}),
    "truncated.json": '{"images": ["iVBOR',
}
for name, text in seeds.items():
    with open(os.path.join(out, name), "w") as f:
        f.write(text)
