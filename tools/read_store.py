#!/usr/bin/env python3
"""Reads a regionvlp feature store with numpy alone, and checks it against the raw .npz tree.

Usage (from anywhere):
    python3 tools/read_store.py STORE                      # sizes and CRC-32 of every file, shapes, one clip
    python3 tools/read_store.py STORE --tree FEATURES      # also recompute stored frames from the tree

read_clip() below is the snippet of docs/FEATURE-STORE.md, verbatim. With --tree, every frame of the
first --clips clips is rebuilt from its bottom-up-attention .npz with numpy, independently of the Java
code (METHOD.md 1.4: stable top-R by objects_conf, 6-d box encoding in float32, "edge" padding), and
compared with the store: a float32 store must match bit for bit, a float16 store must equal the float32
rows cast with astype(np.float16). The .npz 'info' dict is a pickle, loaded here with allow_pickle=True:
use --tree only on feature trees you trust (regionvlp itself reads them with a safe unpickler).
"""
import argparse
import json
import os
import sys
import zlib

import numpy as np


def read_clip(store, key):
    m = json.load(open(f"{store}/manifest.json"))
    keys = open(f"{store}/clips.txt", encoding="utf-8").read().split("\n")[:-1]
    shard, row, k = np.load(f"{store}/index.npy")[keys.index(key)]       # int64 [C, 3]
    sh = m["shards"][shard]
    regions = np.load(f"{store}/{sh['regions']['file']}", mmap_mode="r")[row:row + k]  # [K, R, D+6]
    valid = np.load(f"{store}/{sh['valid']['file']}")[row:row + k]                     # [K] real regions
    mask = np.arange(m["numRegions"]) < valid[:, None]                                 # [K, R] bool
    features, boxes = regions[..., :m["featureDim"]], regions[..., m["featureDim"]:]   # [K,R,D], [K,R,6]
    return regions, mask


def check_files(store, m):
    entries = [m["keys"], m["index"]] + [e for s in m["shards"] for e in (s["regions"], s["valid"])]
    for e in entries:
        path = os.path.join(store, e["file"])
        data = open(path, "rb").read()
        if len(data) != e["bytes"] or zlib.crc32(data) != e["crc32"]:
            sys.exit("%s: expected %d bytes crc32 %08x, found %d bytes crc32 %08x"
                     % (path, e["bytes"], e["crc32"], len(data), zlib.crc32(data)))
    return sum(e["bytes"] for e in entries), len(entries)


def frame_rows(npz_path, num_regions):
    """One frame's [R, D+6] float32 block and its real-region count, from the .npz, with numpy only."""
    z = np.load(npz_path, allow_pickle=True)
    info = z["info"].item()
    x, bbox = z["x"], z["bbox"]
    order = np.argsort(-info["objects_conf"], kind="stable")   # confidence descending, ties in file order
    n = min(len(order), num_regions)
    keep = order[:n]
    b = bbox[keep]
    w_img, h_img = np.float32(info["image_w"]), np.float32(info["image_h"])
    w, h = (b[:, 2] - b[:, 0]) / w_img, (b[:, 3] - b[:, 1]) / h_img
    x1, y1 = b[:, 0] / w_img, b[:, 1] / h_img
    box = np.stack([x1, y1, x1 + w, y1 + h, w, h], 1).astype(np.float32)
    rows = np.concatenate([x[keep], box], 1)
    return np.pad(rows, ((0, num_regions - n), (0, 0)), mode="edge"), n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("store")
    ap.add_argument("--tree", help="the FEATURES folder the store was converted from")
    ap.add_argument("--clips", type=int, default=50, help="clips to recompute from the tree (default 50)")
    a = ap.parse_args()
    m = json.load(open(os.path.join(a.store, "manifest.json")))
    total, files = check_files(a.store, m)
    print("numpy %s; %s: %d clips, %d frames, %s, R=%d, D=%d; %d files, %d bytes, sizes and CRC-32 ok"
          % (np.__version__, a.store, m["numClips"], m["numFrames"], m["dtype"], m["numRegions"],
             m["featureDim"], files, total))
    keys = open(os.path.join(a.store, "clips.txt"), encoding="utf-8").read().split("\n")[:-1]
    regions, mask = read_clip(a.store, keys[0])
    print("read_clip(%r): regions %s %s, mask %s, real regions per frame %s"
          % (keys[0], regions.dtype, regions.shape, mask.shape, mask.sum(1).tolist()))
    if not a.tree:
        return
    frames = 0
    for key in keys[:a.clips]:
        regions, mask = read_clip(a.store, key)
        clip_dir = os.path.join(a.tree, *key.split("/"))
        for f in range(regions.shape[0]):
            path = os.path.join(clip_dir, "%d.npz" % f) if os.path.isdir(clip_dir) else clip_dir + ".npz"
            rows, n = frame_rows(path, m["numRegions"])
            want = rows if m["dtype"] == "float32" else rows.astype(np.float16)
            if regions[f].dtype != want.dtype or not np.array_equal(regions[f], want):
                diff = np.abs(regions[f].astype(np.float64) - want.astype(np.float64)).max()
                sys.exit("%s frame %d: store differs from numpy's selection (max |diff| %g)" % (key, f, diff))
            if mask[f].sum() != n or not mask[f, :n].all():
                sys.exit("%s frame %d: mask has %d real regions, numpy selects %d" % (key, f, mask[f].sum(), n))
            frames += 1
    print("recomputed %d frames of %d clips from %s with numpy: identical to the store (%s)"
          % (frames, min(a.clips, len(keys)), a.tree, m["dtype"]))


if __name__ == "__main__":
    main()
