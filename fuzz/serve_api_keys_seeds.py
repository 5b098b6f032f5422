#!/usr/bin/python3
"""Seeds for fuzz/serve_api_keys_fuzz.cpp: `emonet serve --api-keys` files, valid and not."""
import hashlib
import os
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
key = "emk_" + "ab" * 32
line = "blake2b-256:" + hashlib.blake2b(key.encode(), digest_size=32).hexdigest()
seeds = {
    "one.txt": line + " ci\n",
    "two_comments.txt": "# keys\n\n" + line + "\r\n" + line + "\tsecond\n",
    "short_hash.txt": "blake2b-256:abcd\n",
    "plaintext.txt": key + "\n",
    "empty.txt": "",
}
for name, text in seeds.items():
    with open(os.path.join(out, name), "w") as f:
        f.write(text)
