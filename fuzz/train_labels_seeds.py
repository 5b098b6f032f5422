#!/usr/bin/python3
"""Seeds for fuzz/train_labels_fuzz.cpp: one small file of each label layout."""
import os
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
seeds = {
    "ms.jsonl": '{"image_path": "a.png", "emotions": {"Amusement": 3, "Elation": {"rating": 5}},'
                ' "extra_dimensions": {"Valence": -2}}\n',
    "metadata.csv": "file_name,Amusement,annotations\nx.png,2.5,\"{'Positive High-Energy Emotions|Elation': 4}\"\n",
    "binary.csv": "path,annotator,value,emotion\n00000,human-1,True,Anger\n00000,human-2,False,Hopelessness\n",
}
for name, text in seeds.items():
    with open(os.path.join(out, name), "w") as f:
        f.write(text)
