#!/usr/bin/env python3
"""Writes the golden bottom-up-attention .npz fixtures read by regionvlp.data tests.

Run from the repository root:  python3 tools/make_npz_fixtures.py
Output: src/test/resources/fixtures/npz/*.npz and expected.json (values, numpy version, seed).

The frames are written the way MILVLG/bottom-up-attention.pytorch utils/extract_utils.py does:
np.savez_compressed(path, x=..., bbox=..., num_bbox=..., image_h=..., image_w=..., info=info_dict).
The real extractor ran numpy 1.x, whose object-array pickle (protocol 3) names numpy.core.multiarray;
numpy 2 names numpy._core.multiarray, so one variant is rewritten to the numpy 1.x spelling.
"""
import io
import json
import os
import pickle
import pickletools
import zipfile

import numpy as np

SEED = 20240531
OUT = os.path.join("src", "test", "resources", "fixtures", "npz")


def frame(rng, image_id, n, d, attrs, numpy_scalars=False):
    h, w = int(rng.integers(100, 800)), int(rng.integers(100, 800))
    x = rng.standard_normal((n, d)).astype(np.float32)
    x1 = rng.uniform(0, w / 2, n)
    y1 = rng.uniform(0, h / 2, n)
    bbox = np.stack([x1, y1, x1 + rng.uniform(1, w / 2, n), y1 + rng.uniform(1, h / 2, n)], 1).astype(np.float32)
    ids = rng.integers(0, 1601, n).astype(np.int64)
    conf = rng.uniform(0, 1, n).astype(np.float32)
    to_int = np.int64 if numpy_scalars else int
    info = {"image_id": image_id, "image_h": to_int(h), "image_w": to_int(w), "num_boxes": to_int(n),
            "objects_id": ids, "objects_conf": conf}
    if attrs:
        info["attrs_id"] = rng.integers(0, 401, n).astype(np.int64)
        info["attrs_conf"] = rng.uniform(0, 1, n).astype(np.float32)
    if numpy_scalars:
        info["extra_float"] = np.float64(0.25)
        info["extra_f4"] = np.float32(1.5)
    return dict(x=x, bbox=bbox, num_bbox=n, image_h=h, image_w=w, info=info)


def expected(f):
    info = f["info"]
    e = {"image_id": info["image_id"], "image_h": int(info["image_h"]), "image_w": int(info["image_w"]),
         "num_boxes": int(f["num_bbox"]), "feature_dim": int(f["x"].shape[1]),
         "x": [float(v) for v in f["x"].ravel()], "bbox": [float(v) for v in f["bbox"].ravel()],
         "objects_id": [int(v) for v in info["objects_id"]],
         "objects_conf": [float(v) for v in info["objects_conf"]]}
    if "attrs_id" in info:
        e["attrs_id"] = [int(v) for v in info["attrs_id"]]
        e["attrs_conf"] = [float(v) for v in info["attrs_conf"]]
    return e


def npy_bytes(array, pickle_bytes=None):
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=True)
    data = buf.getvalue()
    if pickle_bytes is None:
        return data
    header_len = 10 + int.from_bytes(data[8:10], "little")
    return data[:header_len] + pickle_bytes


def write_with_pickle(path, f, protocol, rename_core):
    """np.savez_compressed layout, but the info pickle is written with `protocol` (numpy 1.x used 3)."""
    info_arr = np.array(f["info"], dtype=object)
    p = pickle.dumps(info_arr, protocol=protocol)
    if rename_core:
        # Protocols 2-3 name globals with the text GLOBAL opcode (no length prefix), so the module can be
        # renamed in place.
        assert protocol <= 3
        p = p.replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")
        text = io.StringIO()
        pickletools.dis(p, out=text)
        assert "numpy._core" not in text.getvalue() and "numpy.core.multiarray _reconstruct" in text.getvalue()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for k in ["x", "bbox", "num_bbox", "image_h", "image_w"]:
            z.writestr(k + ".npy", npy_bytes(np.asanyarray(f[k])))
        z.writestr("info.npy", npy_bytes(info_arr, p))
    check = np.load(path, allow_pickle=True)
    assert check["info"].item()["image_id"] == f["info"]["image_id"]


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(SEED)
    files = {}

    f = frame(rng, "0", n=5, d=8, attrs=True)
    np.savez_compressed(os.path.join(OUT, "frame_compressed.npz"), **f)
    files["frame_compressed.npz"] = expected(f)

    f = frame(rng, "frame_0003", n=3, d=6, attrs=False)
    np.savez(os.path.join(OUT, "frame_stored.npz"), **f)
    files["frame_stored.npz"] = expected(f)

    f = frame(rng, "scalars", n=4, d=5, attrs=True, numpy_scalars=True)
    np.savez_compressed(os.path.join(OUT, "frame_numpy_scalars.npz"), **f)
    files["frame_numpy_scalars.npz"] = expected(f)

    f = frame(rng, "12", n=6, d=4, attrs=True, numpy_scalars=True)
    write_with_pickle(os.path.join(OUT, "frame_numpy1_style.npz"), f, protocol=3, rename_core=True)
    files["frame_numpy1_style.npz"] = expected(f)

    f = frame(rng, "proto2", n=2, d=3, attrs=True, numpy_scalars=True)
    write_with_pickle(os.path.join(OUT, "frame_protocol2.npz"), f, protocol=2, rename_core=True)
    files["frame_protocol2.npz"] = expected(f)

    meta = {"generator": "tools/make_npz_fixtures.py", "numpy_version": np.__version__, "seed": SEED,
            "files": files}
    with open(os.path.join(OUT, "expected.json"), "w") as out:
        json.dump(meta, out, indent=1)
        out.write("\n")


if __name__ == "__main__":
    main()
