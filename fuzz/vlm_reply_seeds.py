#!/usr/bin/python3
"""Seeds for fuzz/vlm_reply_fuzz.cpp: zero-shot replies and yes/no response bodies."""
import json
import os
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
value = {f"Group|E{i}": 1 + i % 7 for i in range(25)}
seeds = {
    "zs_valid.txt": json.dumps({"key": ["f", "m", "x.png"], "value": value}),
    "zs_fenced.txt": "```json\n" + json.dumps({"value": value}) + "\n```",
    "zs_prose.txt": "Here: " + json.dumps({"value": value}),
    "zs_broken.txt": '{"value": {"a": ',
    "yesno.json": json.dumps({"choices": [{"logprobs": {"content": [{"token": "x", "logprob": -0.1,
        "top_logprobs": [{"token": " yes", "logprob": -0.2}, {"token": "No", "logprob": -1.9}]}]}}]}),
}
for name, text in seeds.items():
    with open(os.path.join(out, name), "w") as f:
        f.write(text)
